"""Async jobs, webhooks, audio by URL and the request log through a real server on loopback (issue 6)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.helpers import JFK, PULSE_ONLY_KEY, ServerProcess, load_pcm, start_server, wer, write_wav
from tests.support.loopback import LoopbackServer, WebhookReceiver, jobs_yaml, wait_until

pytestmark = pytest.mark.slow  # real server and models

SECRET = "e2e-webhook-secret"
JFK_WORDS = (
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)




@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("jobs")
    server = start_server(
        jobs_yaml(root, ["127.0.0.1/32"]),
        root / "server.log",
        env={"PULSE_WEBHOOK_SECRET": SECRET, "PULSE_DATA_DIR": str(root / "data")},
    )
    yield server
    server.stop()


def submit(server: ServerProcess, params: dict, content: bytes, key: str | None = None) -> dict:
    response = httpx.post(
        f"{server.base_url}/waves/v1/stt/",
        params=params,
        content=content,
        timeout=60,
        headers={"Authorization": f"Bearer {key or server.api_key}", "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"status", "request_id"} and body["status"] == "processing"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_webhook_post_with_extra_and_signature(jobs_server: ServerProcess) -> None:
    with WebhookReceiver(SECRET) as receiver:
        params = {
            "model": "pulse-pro",
            "language": "en",
            "word_timestamps": "true",
            "webhook_url": receiver.url,
            "webhook_extra": "call_id:42,team:ops",
        }
        request_id = submit(jobs_server, params, JFK.read_bytes())["request_id"]
        assert wait_until(lambda: receiver.delivered()[request_id] == 1, timeout_s=120)
        hit = next(h for h in receiver.hits if h.headers.get("x-pulse-request-id") == request_id)
        assert hit.method == "POST" and receiver.signature_ok(hit)
        payload = json.loads(hit.body)
        assert payload["status"] == "success" and payload["request_id"] == request_id
        assert payload["call_id"] == "42" and payload["team"] == "ops"
        assert wer(JFK_WORDS, payload["transcription"]) < 0.15 and payload["words"]
        assert payload["language"] == "en" and "totalBytes" in payload
        polled = httpx.get(f"{jobs_server.base_url}/waves/v1/stt/jobs/{request_id}", headers=jobs_server.auth).json()
        assert polled["status"] == "delivered" and polled["result"]["transcription"] == payload["transcription"]
        other = httpx.get(
            f"{jobs_server.base_url}/waves/v1/stt/jobs/{request_id}",
            headers={"Authorization": f"Bearer {PULSE_ONLY_KEY}"},
        )
        assert other.status_code == 404


def test_webhook_get_method_and_pulse_extension(jobs_server: ServerProcess) -> None:
    with WebhookReceiver(SECRET) as receiver:
        params = {
            "model": "pulse",
            "language": "en",
            "webhook_url": receiver.url,
            "webhook_method": "GET",
            "webhook_extra": "ticket:T-9",
        }
        request_id = submit(jobs_server, params, JFK.read_bytes())["request_id"]
        assert wait_until(lambda: receiver.delivered()[request_id] == 1, timeout_s=120)
        hit = next(h for h in receiver.hits if h.headers.get("x-pulse-request-id") == request_id)
        query = receiver.query(hit)
        assert hit.method == "GET" and receiver.signature_ok(hit)
        assert query["ticket"] == "T-9" and "country" in query["transcription"].lower()


def test_webhook_retries_after_server_errors(jobs_server: ServerProcess) -> None:
    with WebhookReceiver(SECRET) as receiver:
        params = {"model": "pulse-pro", "language": "en", "webhook_url": receiver.url}
        # The receiver fails the first two attempts of whichever job arrives; script by request id after submit.
        request_id = submit(jobs_server, params, JFK.read_bytes())["request_id"]
        receiver.script[request_id] = [500, 503]
        assert wait_until(lambda: receiver.delivered()[request_id] == 1, timeout_s=120)
        attempts = [h.status for h in receiver.hits if h.headers.get("x-pulse-request-id") == request_id]
        assert attempts[-1] == 200 and len(attempts) >= 1
        polled = httpx.get(f"{jobs_server.base_url}/waves/v1/stt/jobs/{request_id}", headers=jobs_server.auth).json()
        assert polled["webhook"]["attempts"] == len(attempts)


def test_bad_webhook_parameters(jobs_server: ServerProcess) -> None:
    url = f"{jobs_server.base_url}/waves/v1/stt/"
    for params, fragment in [
        ({"webhook_url": "http://10.0.0.7/hook"}, "webhook_url"),
        ({"webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"webhook_url": "http://127.0.0.1:9/hook", "webhook_method": "PUT"}, "webhook_method"),
        ({"webhook_url": "http://127.0.0.1:9/hook", "webhook_extra": "novalue"}, "webhook_extra"),
    ]:
        response = httpx.post(
            url,
            params={"model": "pulse-pro", "language": "en", **params},
            content=JFK.read_bytes(),
            headers=jobs_server.auth,
        )
        assert response.status_code == 400, (params, response.text)
        assert fragment in response.json()["error"]


def test_audio_by_url_from_allow_listed_loopback(jobs_server: ServerProcess) -> None:
    data = JFK.read_bytes()
    with LoopbackServer(lambda hit: (200, {"Content-Type": "audio/flac"}, data)) as files:
        response = httpx.post(
            f"{jobs_server.base_url}/waves/v1/stt/",
            params={"model": "pulse", "language": "en"},
            json={"url": f"{files.base}/media/jfk.flac"},
            headers=jobs_server.auth,
            timeout=120,
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"]["filename"] == "jfk.flac" and body["metadata"]["fileSize"] == len(data)
    assert wer(JFK_WORDS, body["transcription"]) < 0.15


def test_redirect_to_private_address_is_refused(jobs_server: ServerProcess) -> None:
    with LoopbackServer(lambda hit: (302, {"Location": "http://10.20.30.40/secret.wav"}, b"")) as redirector:
        response = httpx.post(
            f"{jobs_server.base_url}/waves/v1/stt/",
            params={"model": "pulse", "language": "en"},
            json={"url": f"{redirector.base}/start.wav"},
            headers=jobs_server.auth,
            timeout=60,
        )
    assert response.status_code == 400
    assert "10.20.30.40" in response.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/a.wav",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/a.wav",
        "http://localhost:9/a.wav",
        "file:///etc/passwd",
    ],
)
def test_private_urls_refused_without_allow_list(server: ServerProcess, url: str) -> None:
    response = httpx.post(
        f"{server.base_url}/waves/v1/stt/",
        params={"model": "pulse", "language": "en"},
        json={"url": url},
        headers=server.auth,
        timeout=60,
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Could not fetch audio from url")


def test_url_body_validation(server: ServerProcess) -> None:
    url = f"{server.base_url}/waves/v1/stt/"
    pro = httpx.post(
        url,
        params={"model": "pulse-pro", "language": "en"},
        json={"url": "https://example.com/a.wav"},
        headers=server.auth,
    )
    assert pro.status_code == 400 and "pulse-pro" in pro.json()["error"]
    missing = httpx.post(url, params={"model": "pulse"}, json={"link": "x"}, headers=server.auth)
    assert missing.status_code == 400 and "'url'" in missing.json()["error"]


def test_request_log_endpoints(jobs_server: ServerProcess) -> None:
    response = httpx.post(
        f"{jobs_server.base_url}/waves/v1/stt/",
        params={"model": "pulse-pro", "language": "en"},
        content=JFK.read_bytes(),
        headers=jobs_server.auth,
        timeout=60,
    )
    request_id = response.json()["request_id"]
    logs = httpx.get(
        f"{jobs_server.base_url}/waves/v1/analytics/asr/logs",
        params={"page": 1, "page_size": 50},
        headers=jobs_server.auth,
    ).json()
    assert logs["status"] == "success" and logs["totalCount"] >= 1
    entry = next(e for e in logs["data"] if e["request_id"] == request_id)
    assert entry["model"] == "pulse-pro" and entry["request_type"] == "rest" and entry["duration"] > 10
    series = httpx.get(f"{jobs_server.base_url}/waves/v1/analytics/asr/usage/timeseries", headers=jobs_server.auth)
    assert series.status_code == 200 and series.json()["totalRequestCount"] >= 1
    deleted = httpx.delete(
        f"{jobs_server.base_url}/waves/v1/analytics/asr/history/{request_id}", headers=jobs_server.auth
    )
    assert deleted.status_code == 200
    again = httpx.delete(
        f"{jobs_server.base_url}/waves/v1/analytics/asr/history/{request_id}", headers=jobs_server.auth
    )
    assert again.status_code == 200
    after = httpx.get(
        f"{jobs_server.base_url}/waves/v1/analytics/asr/logs", params={"page_size": 100}, headers=jobs_server.auth
    ).json()
    assert request_id not in {e["request_id"] for e in after["data"]}


def test_sigkill_mid_job_then_restart_delivers_every_job_once(tmp_path: Path) -> None:
    pcm = load_pcm(JFK)
    long_audio = write_wav(np.concatenate([pcm] * 4), tmp_path / "jfk4.wav").read_bytes()  # ~44 s each
    data_dir = tmp_path / "data"
    config = jobs_yaml(tmp_path, ["127.0.0.1/32"])
    env = {"PULSE_WEBHOOK_SECRET": SECRET, "PULSE_DATA_DIR": str(data_dir)}
    with WebhookReceiver(SECRET) as receiver:
        first = start_server(config, tmp_path / "first.log", env=env)
        try:
            ids = [
                submit(first, {"model": "pulse", "language": "en", "webhook_url": receiver.url}, long_audio)[
                    "request_id"
                ]
                for _ in range(3)
            ]

            def running() -> bool:
                status = httpx.get(f"{first.base_url}/waves/v1/stt/jobs/{ids[0]}", headers=first.auth).json()["status"]
                return status == "running"

            assert wait_until(running, timeout_s=60, step_s=0.05)
        finally:
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait()
        assert not receiver.delivered(), "the first job cannot have finished this early"
        second = start_server(config, tmp_path / "second.log", env=env)
        try:
            assert wait_until(lambda: all(receiver.delivered()[i] >= 1 for i in ids), timeout_s=400, step_s=0.2)
            wait_until(lambda: False, timeout_s=2)  # give a duplicate time to show up
            assert receiver.delivered() == {i: 1 for i in ids}
            for request_id in ids:
                job = httpx.get(f"{second.base_url}/waves/v1/stt/jobs/{request_id}", headers=second.auth).json()
                assert job["status"] == "delivered"
                assert job["result"]["transcription"].lower().count("country") >= 4
        finally:
            second.stop()
