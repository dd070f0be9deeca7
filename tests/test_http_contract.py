"""Contract details a real client runs into on the HTTP routes (issue 12): headerless PCM with
`encoding`/`sample_rate`, multipart uploads, the legacy async language default, private-address hints."""

from __future__ import annotations

import audioop  # stdlib G.711 encoder (deprecated, present in 3.11): independent of the server's decoder
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from tests.helpers import JFK, ServerProcess, load_pcm, start_server
from tests.support.loopback import WebhookReceiver, jobs_yaml, wait_until

pytestmark = pytest.mark.slow
STT = "/waves/v1/stt/"
KEY_PHRASE = "ask not what your country"


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("contract")
    server = start_server(jobs_yaml(root, ["127.0.0.1/32"]), root / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def jfk() -> np.ndarray:
    return load_pcm(JFK)


def _post(server: ServerProcess, content: bytes, path: str = STT, **params: str) -> httpx.Response:
    headers = {"Content-Type": "application/octet-stream", **server.auth}
    return httpx.post(f"{server.base_url}{path}", params=params, content=content, headers=headers, timeout=300)


def _resample(pcm: np.ndarray, rate: int) -> np.ndarray:
    positions = np.arange(0, pcm.size, 16000 / rate)
    return np.interp(positions, np.arange(pcm.size), pcm).astype(np.float32)


def _encode(pcm: np.ndarray, encoding: str, rate: int) -> bytes:
    audio = _resample(pcm, rate)
    if encoding == "linear32":
        return (np.clip(audio, -1, 1) * 2147483000).astype("<i4").tobytes()
    linear16 = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    if encoding == "mulaw":
        return audioop.lin2ulaw(linear16, 2)
    if encoding == "alaw":
        return audioop.lin2alaw(linear16, 2)
    return linear16


@pytest.mark.parametrize(
    ("encoding", "rate"), [("linear16", 16000), ("linear32", 16000), ("mulaw", 8000), ("alaw", 8000)]
)
def test_headerless_pcm_is_decoded_from_encoding_and_sample_rate(
    jobs_server: ServerProcess, jfk: np.ndarray, encoding: str, rate: int
) -> None:
    body = _encode(jfk, encoding, rate)
    response = _post(jobs_server, body, model="pulse", language="en", encoding=encoding, sample_rate=str(rate))
    assert response.status_code == 200, response.text
    assert KEY_PHRASE in response.json()["transcription"].lower()
    assert abs(response.json()["metadata"]["duration"] - jfk.size / 16000) < 0.1


def test_container_wins_over_a_declared_pcm_encoding(jobs_server: ServerProcess) -> None:
    # LiveKit's batch recognize() sends a WAV body together with encoding=linear16&sample_rate=16000.
    response = _post(jobs_server, JFK.read_bytes(), model="pulse", language="en", encoding="linear16")
    assert response.status_code == 200 and KEY_PHRASE in response.json()["transcription"].lower()


def test_multipart_upload_uses_the_first_file_part(jobs_server: ServerProcess) -> None:
    response = httpx.post(
        f"{jobs_server.base_url}{STT}",
        params={"model": "pulse-pro", "language": "en"},
        data={"note": "a form field before the file"},
        files={"file": ("jfk.flac", JFK.read_bytes(), "audio/flac")},
        headers=jobs_server.auth,
        timeout=300,
    )
    assert response.status_code == 200, response.text
    assert KEY_PHRASE in response.json()["transcription"].lower()
    assert response.json()["totalBytes"] == JFK.stat().st_size
    empty = httpx.post(
        f"{jobs_server.base_url}{STT}",
        params={"model": "pulse"},
        data={"only": "fields"},
        files={"x": ("", b"", "text/plain")},
        headers=jobs_server.auth,
    )
    assert empty.status_code == 400 and "no file" in empty.json()["error"]


def test_legacy_async_job_defaults_to_multi_eu(jobs_server: ServerProcess) -> None:
    with WebhookReceiver(secret="unused") as receiver:
        response = _post(jobs_server, JFK.read_bytes(), "/waves/v1/pulse/get_text", webhook_url=receiver.url)
        assert response.status_code == 200, response.text
        request_id = response.json()["request_id"]
        assert wait_until(lambda: receiver.delivered()[request_id] == 1, timeout_s=180)
    logs = httpx.get(
        f"{jobs_server.base_url}/waves/v1/analytics/asr/logs", params={"page_size": 100}, headers=jobs_server.auth
    ).json()
    entry = next(e for e in logs["data"] if e["request_id"] == request_id)
    assert entry["language"] == "multi-eu"


@pytest.mark.parametrize("what", ["webhook", "url"])
def test_private_addresses_are_refused_with_the_allow_list_hint(jobs_server: ServerProcess, what: str) -> None:
    if what == "webhook":
        response = _post(jobs_server, JFK.read_bytes(), model="pulse", webhook_url="http://10.1.2.3/hook")
    else:
        response = httpx.post(
            f"{jobs_server.base_url}{STT}",
            params={"model": "pulse"},
            json={"url": "http://192.168.7.7/a.wav"},
            headers=jobs_server.auth,
            timeout=60,
        )
    assert response.status_code == 400
    assert "refused: add the network to jobs.fetch.allow" in response.json()["error"]
