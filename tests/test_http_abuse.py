"""Hostile pre-recorded input against a real server: decode bounds, non-finite samples, client aborts."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml

from tests.helpers import REPO, ServerProcess, start_server
from tests.support.audio_inputs import wav_bytes

pytestmark = pytest.mark.slow
CAP_SECONDS = 60


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The default config with a one-minute decoded-audio cap, so a cap hit is cheap to provoke."""
    root = tmp_path_factory.mktemp("abuse")
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["limits"]["max_audio_seconds"] = CAP_SECONDS
    path: Path = root / "capped.yaml"
    path.write_text(yaml.safe_dump(config))
    server = start_server(path, root / "server.log")
    yield server
    server.stop()


def post(server: ServerProcess, body: bytes, path: str = "/waves/v1/stt/", **params: str) -> httpx.Response:
    headers = {"Content-Type": "application/octet-stream", **server.auth}
    query = {"model": "pulse", "language": "en", **params}
    return httpx.post(f"{server.base_url}{path}", params=query, content=body, headers=headers, timeout=120)


def test_one_hertz_wav_is_refused_at_once(capped: ServerProcess) -> None:
    started = time.monotonic()
    response = post(capped, wav_bytes(b"\0" * 66_000, rate=1))
    elapsed = time.monotonic() - started
    assert response.status_code == 400, response.text
    assert "1 Hz" in response.json()["error"] and "limits.min_sample_rate" in response.json()["error"]
    assert response.json()["request_id"] == response.headers["x-request-id"]
    print(f"1 Hz WAV refused in {elapsed:.3f} s")


def test_silence_over_the_cap_gets_413_and_under_it_completes(capped: ServerProcess) -> None:
    over = post(capped, wav_bytes(b"\0" * (16000 * 2 * (CAP_SECONDS + 30)), rate=16000))
    assert over.status_code == 413, over.text
    assert "limits.max_audio_seconds" in over.json()["error"]
    legacy = post(capped, wav_bytes(b"\0" * (16000 * 2 * (CAP_SECONDS + 30)), rate=16000), "/waves/v1/pulse/get_text")
    assert legacy.status_code == 413 and "limits.max_audio_seconds" in legacy.json()["errors"]
    under = post(capped, wav_bytes(b"\0" * (16000 * 2 * (CAP_SECONDS - 10)), rate=16000))
    assert under.status_code == 200, under.text
    assert under.json()["transcription"] == ""
    assert under.json()["metadata"]["duration"] == CAP_SECONDS - 10


def test_nan_float_wav_is_400_not_an_empty_transcript(capped: ServerProcess) -> None:
    samples = (0.3 * np.sin(np.arange(16000 * 3) / 5.0)).astype("<f4")
    samples[::10] = np.nan
    response = post(capped, wav_bytes(samples.tobytes(), 16000, bits=32, float_pcm=True))
    assert response.status_code == 400, response.text
    assert "NaN" in response.json()["error"]


def _raw(server: ServerProcess, request: bytes) -> None:
    """Send bytes on a fresh connection, read whatever comes back, then hang up."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass


def test_client_aborts_log_one_line_and_no_traceback(capped: ServerProcess) -> None:
    target = "/waves/v1/stt/?model=pulse&language=en"
    auth = f"Authorization: Bearer {capped.api_key}\r\n"
    before = len(capped.log().splitlines())
    # A body cut short: Content-Length promises more than is ever sent.
    _raw(
        capped,
        (
            f"POST {target} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/octet-stream\r\n"
            "Content-Length: 100000\r\n\r\n"
        ).encode()
        + b"\0" * 1000,
    )
    # A broken chunked body: the chunk-size line is not hexadecimal.
    _raw(
        capped,
        (
            f"POST {target} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/octet-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n10\r\n"
        ).encode()
        + b"\0" * 16
        + b"\r\nzz-not-hex\r\n",
    )
    time.sleep(1.0)
    assert httpx.get(f"{capped.base_url}/health", timeout=10).status_code == 200
    lines = capped.log().splitlines()[before:]
    noisy = [line for line in lines if "ERROR" in line or "Traceback" in line or "ClientDisconnect" in line]
    assert not noisy, "\n".join(lines)
    reported = [line for line in lines if "WARNING" in line or " INFO " in line and "/health" not in line]
    assert len(reported) <= 2, "\n".join(lines)  # at most one line per aborted request
