"""`pulse-server serve --backend ray`: a real single-node Ray (2 CPUs) serving the app through Ray Serve.

The SDK pre-recorded path, a WebSocket session with finals and an async job with its webhook all go through
Serve's proxy to the ingress deployment, whose pre-recorded pipeline calls the model and stages deployments.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import yaml

from tests.helpers import JFK, REPO, load_pcm, wer
from tests.support.live import collect_until, connect, pcm16, send_audio, url
from tests.support.loopback import WebhookReceiver, wait_until
from tests.support.ray_loopback import RayServer, start_ray_server
from tests.support.sdk import JFK_TEXT, make_client

pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")

pytestmark = pytest.mark.slow
SECRET = "ray-webhook-secret"


def ray_config(tmp: Path) -> Path:
    config = yaml.safe_load((REPO / "configs" / "ray.yaml").read_text())
    config["jobs"] = {
        "webhook": {"base_delay_s": 0.05, "max_delay_s": 0.5},
        "worker": {"poll_interval_s": 0.1},
        "fetch": {"allow": ["127.0.0.1/32"]},
    }
    path = tmp / "ray.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayServer]:
    tmp = tmp_path_factory.mktemp("ray")
    server = start_ray_server(ray_config(tmp), tmp, {"PULSE_WEBHOOK_SECRET": SECRET})
    yield server
    server.stop()


def test_serve_deployments_one_per_model_plus_stages(ray_server: RayServer) -> None:
    log = ray_server.log_path.read_text()
    for name in ("ingress", "model-pulse", "model-pulse-pro", "stages"):
        assert f"Deployment(name='{name}', app='pulse')" in log


def test_one_cpu_replica_is_held_to_one_core(ray_server: RayServer) -> None:
    """configs/ray.yaml: pulse-pro has num_cpus 1, pin_cpus: its replica runs on one core with 1-thread pools."""
    replicas = [
        p for p in psutil.process_iter(["cmdline"]) if "ServeReplica:pulse:model-pulse-pro" in " ".join(p.info["cmdline"] or [])
    ]
    assert len(replicas) == 1
    replica = replicas[0]
    assert replica.environ()["OMP_NUM_THREADS"] == "1" and replica.environ()["OPENBLAS_NUM_THREADS"] == "1"
    cores = {core for thread in replica.threads() for core in os.sched_getaffinity(thread.id)}
    assert len(cores) == 1
    if len(os.sched_getaffinity(0)) > 1:
        # The Ray processes the server started keep off the pinned core (they inherit the server's affinity).
        raylets = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "raylet"]
        assert raylets and all(not cores & set(p.cpu_affinity()) for p in raylets)


@pytest.mark.parametrize("model", ["pulse", "pulse-pro"])
def test_sdk_prerecorded_through_serve(ray_server: RayServer, model: str) -> None:
    client = make_client(ray_server)  # type: ignore[arg-type]
    response = client.waves.speech_to_text.transcribe(
        model=model, language="en", request=JFK.read_bytes(), word_timestamps=True
    )
    assert response.status == "success"
    assert wer(JFK_TEXT, response.transcription) < 0.15
    assert response.words and response.words[0].start is not None


def test_stages_deployment_labels_speakers(ray_server: RayServer) -> None:
    response = httpx.post(
        f"{ray_server.base_url}/waves/v1/stt/",
        params={"model": "pulse", "language": "en", "diarize": "true", "word_timestamps": "true"},
        content=JFK.read_bytes(),
        headers={**ray_server.auth, "Content-Type": "application/octet-stream"},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    words = response.json()["words"]
    assert words and all("speaker" in w for w in words)
    assert wer(JFK_TEXT, response.json()["transcription"]) < 0.15


def test_bad_audio_is_400_through_serve(ray_server: RayServer) -> None:
    response = httpx.post(
        f"{ray_server.base_url}/waves/v1/stt/",
        params={"model": "pulse-pro", "language": "en"},
        content=b"definitely not audio" * 100,
        headers={**ray_server.auth, "Content-Type": "application/octet-stream"},
        timeout=120,
    )
    assert response.status_code == 400 and "error" in response.json()


def test_websocket_session_with_finals_through_serve(ray_server: RayServer) -> None:
    pcm = load_pcm(JFK)

    async def go() -> list[dict]:
        async with connect(ray_server, url(ray_server)) as ws:  # type: ignore[arg-type]
            await send_audio(ws, pcm16(pcm), frame=3200)
            await ws.send(json.dumps({"type": "finalize"}))
            messages = await collect_until(ws, lambda m: m.get("from_finalize") is True, timeout=300)
            await ws.send(json.dumps({"type": "close_stream"}))
            messages += await collect_until(ws, lambda m: m.get("is_last") is True, timeout=120)
            return messages

    messages = asyncio.run(go())
    finals = [m for m in messages if m.get("type") == "transcription" and m["is_final"]]
    assert finals and finals[-1]["is_last"] is True
    assert len({m["session_id"] for m in messages if "session_id" in m}) == 1
    assert wer(JFK_TEXT, " ".join(m["transcript"] for m in finals)) < 0.2


def test_async_job_with_webhook_through_serve(ray_server: RayServer) -> None:
    with WebhookReceiver(SECRET) as receiver:
        response = httpx.post(
            f"{ray_server.base_url}/waves/v1/stt/",
            params={"model": "pulse-pro", "language": "en", "webhook_url": receiver.url},
            content=JFK.read_bytes(),
            headers={**ray_server.auth, "Content-Type": "application/octet-stream"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        request_id = response.json()["request_id"]
        assert wait_until(lambda: receiver.delivered()[request_id] == 1, timeout_s=300, step_s=0.2)
        hit = receiver.hits[0]
        assert receiver.signature_ok(hit)
        assert wer(JFK_TEXT, json.loads(hit.body)["transcription"]) < 0.15
        job = httpx.get(f"{ray_server.base_url}/waves/v1/stt/jobs/{request_id}", headers=ray_server.auth).json()
        assert job["status"] == "delivered"
