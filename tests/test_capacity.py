"""Limits and concurrency on a server with a tight config: 413 while reading, 429 when full, /health while busy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml

from tests.helpers import JFK, REPO, ServerProcess, load_pcm, start_server, write_wav

pytestmark = pytest.mark.slow  # real server and models

LIMIT = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("tight")
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    for model in config["models"].values():
        model["max_queue"] = 0  # one job per model at a time, nobody waits: the next one gets 429
        model["batch"]["batch_size"] = 1  # no request shares a batched decode: one admitted job per model
    config["models"]["pulse-pro"]["chunk_seconds"] = 20.0
    config["models"]["pulse-pro"]["chunk_search_seconds"] = 4.0
    config["limits"]["max_upload_bytes"] = LIMIT
    path = root / "tight.yaml"
    path.write_text(yaml.safe_dump(config))
    server = start_server(path, root / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 100 s of real speech: the JFK clip eight times with a second of silence between."""
    pcm = load_pcm(JFK)
    gap = np.zeros(16000, dtype=np.float32)
    audio = np.concatenate([np.concatenate([pcm, gap]) for _ in range(8)])
    return write_wav(audio, tmp_path_factory.mktemp("long") / "long.wav")


def _post(server: ServerProcess, params: dict, content, path: str = "/waves/v1/stt/", timeout: float = 300):
    headers = {"Content-Type": "application/octet-stream", **server.auth}
    return httpx.post(f"{server.base_url}{path}", params=params, content=content, headers=headers, timeout=timeout)


def test_declared_oversize_is_413(tight_server: ServerProcess) -> None:
    response = _post(tight_server, {"model": "pulse"}, b"\0" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json()["error"] == "File size exceeds maximum limit of 4MB."


def test_chunked_oversize_is_stopped_while_reading(tight_server: ServerProcess) -> None:
    sent = 0

    def stream() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(64):  # up to 16 MB, four times the limit
            sent += 256 * 1024
            yield b"\0" * (256 * 1024)

    try:
        response = _post(tight_server, {"model": "pulse"}, stream())
    except httpx.HTTPError:
        # The server may answer and close before the client finishes writing; either way it must
        # not have accepted the whole body.
        assert sent < 64 * 256 * 1024
        return
    assert response.status_code == 413
    assert "error" in response.json()


def test_legacy_oversize_is_400(tight_server: ServerProcess) -> None:
    response = _post(tight_server, {}, b"\0" * (LIMIT + 1), path="/waves/v1/pulse/get_text")
    assert response.status_code == 400
    assert response.json() == {
        "errors": "Audio data too large",
        "status": "error",
        "message": "Error handling audio data",
    }


def test_busy_model_gets_429_while_health_and_other_model_answer(tight_server: ServerProcess, long_wav: Path) -> None:
    result: dict[str, httpx.Response] = {}

    def long_request() -> None:
        result["long"] = _post(
            tight_server, {"model": "pulse-pro", "language": "en", "word_timestamps": "true"}, long_wav.read_bytes()
        )

    worker = threading.Thread(target=long_request)
    worker.start()
    try:
        busy = None
        for _ in range(100):  # wait until the long job holds the pulse-pro slot
            health = httpx.get(f"{tight_server.base_url}/health", timeout=5)
            assert health.status_code == 200
            if health.json()["models"]["pulse-pro"]["busy"] >= 1:
                busy = health
                break
            worker.join(0.1)
        assert busy is not None, "long request never became visible in /health"
        rejected = _post(tight_server, {"model": "pulse-pro", "language": "en"}, JFK.read_bytes())
        assert rejected.status_code == 429
        assert int(rejected.headers["Retry-After"]) > 0
        assert rejected.json()["error"].startswith("Rate limit exceeded")
        other = _post(tight_server, {"model": "pulse", "language": "en"}, JFK.read_bytes())
        assert other.status_code == 200 and "country" in other.json()["transcription"].lower()
        assert httpx.get(f"{tight_server.base_url}/health", timeout=5).status_code == 200
    finally:
        worker.join(300)
    long = result["long"].json()
    assert result["long"].status_code == 200
    assert long["metadata"]["num_chunks"] >= 4  # ~100 s in ≤20 s chunks
    assert long["metadata"]["duration"] == pytest.approx(8 * 12.0, abs=1.0)
    assert long["transcription"].lower().count("country") >= 12
    starts = [w["start"] for w in long["words"]]
    assert starts == sorted(starts) and starts[-1] > 80
