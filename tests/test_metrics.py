"""`/metrics` and `/ready` on a real server: the exposition parses, and counters move with real traffic."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
import yaml
from prometheus_client.parser import text_string_to_metric_families

from server.config import load_config
from tests.helpers import JFK, REPO, ServerProcess, load_pcm, start_server
from tests.support.loopback import WebhookReceiver, wait_until

SECRET = "metrics-webhook-secret"
FAMILIES = {
    "pulse_http_requests", "pulse_http_request_duration_seconds", "pulse_audio_seconds", "pulse_processing_seconds",
    "pulse_real_time_factor", "pulse_queue_depth", "pulse_queue_capacity", "pulse_live_sessions_open",
    "pulse_live_sessions", "pulse_live_messages", "pulse_live_finalize_latency_seconds",
    "pulse_live_partials_dropped", "pulse_live_decodes", "pulse_prerecorded_pauses", "pulse_prerecorded_paused_seconds",
    "pulse_async_jobs", "pulse_webhook_attempts",
    "pulse_component_loaded", "pulse_ready",
}


@pytest.fixture(scope="module")
def metrics_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("metrics")
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["metrics"] = {"require_key": True}
    config["jobs"] = {"webhook": {"base_delay_s": 0.05, "max_delay_s": 0.5},
                      "worker": {"poll_interval_s": 0.1}, "fetch": {"allow": ["127.0.0.1/32"]}}
    path = root / "metrics.yaml"
    path.write_text(yaml.safe_dump(config))
    server = start_server(path, root / "server.log",
                          env={"PULSE_WEBHOOK_SECRET": SECRET, "PULSE_DATA_DIR": str(root / "data")})
    yield server
    server.stop()


def scrape(server: ServerProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample as (name, sorted labels) → value."""
    response = httpx.get(f"{server.base_url}/metrics", headers=server.auth, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    families = set()
    for family in text_string_to_metric_families(response.text):
        families.add(family.name)
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    missing = FAMILIES - families
    assert not missing, f"families missing from /metrics: {missing}"
    return samples


def value(samples: dict, metric: str, **labels: str) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


def transcribe(server: ServerProcess, **params: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/waves/v1/stt/", params={"model": "pulse", "language": "en", **params},
                      content=JFK.read_bytes(), headers=server.auth, timeout=120)


@pytest.mark.slow
def test_metrics_needs_the_key_when_configured(metrics_server: ServerProcess) -> None:
    response = httpx.get(f"{metrics_server.base_url}/metrics", timeout=10)
    assert response.status_code == 401
    wrong = httpx.get(f"{metrics_server.base_url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401


@pytest.mark.slow
def test_ready_reports_every_model_and_stage(metrics_server: ServerProcess) -> None:
    response = httpx.get(f"{metrics_server.base_url}/ready", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["models"] == {"pulse": True, "pulse-pro": True}
    assert set(body["stages"]) == {"diarization", "gender", "emotion", "redaction"} and all(body["stages"].values())
    samples = scrape(metrics_server)
    assert value(samples, "pulse_ready") == 1.0
    assert value(samples, "pulse_component_loaded", kind="model", name="pulse-pro") == 1.0
    pulse = load_config(REPO / "configs" / "default.yaml").models["pulse"]
    # Each worker runs up to batch_size requests at once (their windows share decodes), then max_queue wait.
    assert value(samples, "pulse_queue_capacity", model="pulse") == pulse.num_workers * pulse.batch.batch_size + pulse.max_queue


@pytest.mark.slow
def test_http_and_pipeline_counters_move(metrics_server: ServerProcess) -> None:
    before = scrape(metrics_server)
    assert transcribe(metrics_server).status_code == 200
    assert transcribe(metrics_server, language="xx").status_code == 400
    openai_call = httpx.post(f"{metrics_server.base_url}/v1/audio/transcriptions", headers=metrics_server.auth,
                             data={"model": "whisper-1"}, files={"file": JFK.open("rb")}, timeout=120)
    assert openai_call.status_code == 200
    after = scrape(metrics_server)
    via_openai = dict(route="/v1/audio/transcriptions", method="POST", model="pulse", status="200")
    assert value(after, "pulse_http_requests_total", **via_openai) == value(
        before, "pulse_http_requests_total", **via_openai) + 1
    route = "/waves/v1/stt/"
    ok = dict(route=route, method="POST", model="pulse", status="200")
    assert value(after, "pulse_http_requests_total", **ok) == value(before, "pulse_http_requests_total", **ok) + 1
    bad = dict(ok, status="400")
    assert value(after, "pulse_http_requests_total", **bad) == value(before, "pulse_http_requests_total", **bad) + 1
    timed = dict(route=route, method="POST", model="pulse")
    count = "pulse_http_request_duration_seconds_count"
    assert value(after, count, **timed) == value(before, count, **timed) + 2
    duration = len(load_pcm(JFK)) / 16000
    gained = value(after, "pulse_audio_seconds_total", model="pulse") - value(before, "pulse_audio_seconds_total",
                                                                            model="pulse")
    assert gained == pytest.approx(2 * duration, abs=0.1)  # the Pulse and the OpenAI request
    rtf = "pulse_real_time_factor_count"
    assert value(after, rtf, model="pulse") == value(before, rtf, model="pulse") + 2
    assert value(after, "pulse_processing_seconds_total", model="pulse") > value(
        before, "pulse_processing_seconds_total", model="pulse")
    assert value(after, "pulse_queue_depth", model="pulse") == 0


@pytest.mark.slow
def test_async_job_and_webhook_counters(metrics_server: ServerProcess) -> None:
    before = scrape(metrics_server)
    with WebhookReceiver(SECRET) as receiver:
        response = transcribe(metrics_server, webhook_url=receiver.url)
        assert response.status_code == 200
        request_id = response.json()["request_id"]
        assert wait_until(lambda: receiver.delivered()[request_id] == 1, timeout_s=120)
        assert wait_until(lambda: value(scrape(metrics_server), "pulse_webhook_attempts_total", outcome="ok")
                          == value(before, "pulse_webhook_attempts_total", outcome="ok") + 1, timeout_s=10)
    after = scrape(metrics_server)
    jobs_before = sum(v for (name, _), v in before.items() if name == "pulse_async_jobs")
    jobs_after = sum(v for (name, _), v in after.items() if name == "pulse_async_jobs")
    assert jobs_after == jobs_before + 1


async def _live_session(server: ServerProcess) -> list[dict]:
    pcm = load_pcm(JFK)
    data = (pcm.clip(-1, 1) * 32767).astype("<i2").tobytes()
    target = f"{server.ws_url}/waves/v1/stt/live?model=pulse&language=en&encoding=linear16&sample_rate=16000"
    messages: list[dict] = []
    async with websockets.connect(target, additional_headers=server.auth, open_timeout=30) as ws:
        for start in range(0, len(data) // 2, 3200):  # the first half, then an explicit finalize
            await ws.send(data[start : start + 3200])
        await ws.send(json.dumps({"type": "finalize"}))
        async with asyncio.timeout(60):
            async for raw in ws:
                messages.append(json.loads(raw))
                if messages[-1].get("from_finalize"):
                    break
        await ws.send(json.dumps({"type": "close_stream"}))
        async with asyncio.timeout(60):
            async for raw in ws:
                messages.append(json.loads(raw))
                if messages[-1].get("is_last"):
                    break
    return messages


@pytest.mark.slow
def test_live_session_counters(metrics_server: ServerProcess) -> None:
    before = scrape(metrics_server)
    messages = asyncio.run(_live_session(metrics_server))
    assert any(m.get("from_finalize") for m in messages)
    assert wait_until(lambda: value(scrape(metrics_server), "pulse_live_sessions_open") == 0, timeout_s=15)
    after = scrape(metrics_server)
    route = dict(route="/waves/v1/stt/live")
    assert value(after, "pulse_live_sessions_total", **route) == value(before, "pulse_live_sessions_total", **route) + 1
    latency = "pulse_live_finalize_latency_seconds_count"
    assert value(after, latency) == value(before, latency) + 1
    finals = sum(1 for m in messages if m.get("is_final"))
    sent = "pulse_live_messages_total"
    assert value(after, sent, kind="final") == value(before, sent, kind="final") + finals
    assert value(after, "pulse_live_decodes_total", kind="final") > value(before, "pulse_live_decodes_total",
                                                                           kind="final")


def test_before_models_load_ready_is_503_and_metrics_can_be_switched_off(tmp_path: Path) -> None:
    """Without the lifespan (nothing loaded yet) /ready says 503 while /health-style liveness is not its job."""
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.settings import Settings

    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    client = TestClient(create_app(Settings(config=path)))
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["models"] == {"pulse": False, "pulse-pro": False}
    exposition = client.get("/metrics").text
    assert "pulse_ready 0.0" in exposition
    config["metrics"] = {"enabled": False}
    path.write_text(yaml.safe_dump(config))
    assert TestClient(create_app(Settings(config=path))).get("/metrics").status_code == 404
    config["metrics"] = {"require_keys": True}
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match="require_keys"):
        create_app(Settings(config=path))
