"""Every error case of the pre-recorded contract: status code and JSON body (§3.6)."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.helpers import JFK, PULSE_ONLY_KEY, ServerProcess, write_wav

pytestmark = pytest.mark.slow  # real server and models

MISSING_MODEL = "Missing required query param: model. Supported values: pulse | pulse-pro."


def post(
    server: ServerProcess, params: dict, content: bytes = b"", path: str = "/waves/v1/stt/", headers: dict | None = None
):
    merged = {"Content-Type": "application/octet-stream", **server.auth, **(headers or {})}
    return httpx.post(f"{server.base_url}{path}", params=params, content=content, headers=merged, timeout=60)


def assert_unified_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_missing_model_exact_body(server: ServerProcess) -> None:
    body = assert_unified_error(post(server, {"language": "en"}, JFK.read_bytes()), 400)
    assert body["error"] == MISSING_MODEL


def test_invalid_model(server: ServerProcess) -> None:
    body = assert_unified_error(post(server, {"model": "whisper-1"}, JFK.read_bytes()), 400)
    assert "pulse | pulse-pro" in body["error"]


def test_invalid_language(server: ServerProcess) -> None:
    body = assert_unified_error(post(server, {"model": "pulse", "language": "klingon"}, JFK.read_bytes()), 400)
    assert "language" in body["error"]


def test_language_the_model_cannot_serve_gets_region_error(server: ServerProcess) -> None:
    response = post(server, {"model": "pulse", "language": "or"}, JFK.read_bytes())
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "LANGUAGE_NOT_ENABLED_IN_REGION" and body["language"] == "or"


def test_missing_and_invalid_key(server: ServerProcess) -> None:
    url = f"{server.base_url}/waves/v1/stt/"
    missing = httpx.post(url, params={"model": "pulse"}, content=b"x")
    assert_unified_error(missing, 401)
    invalid = httpx.post(url, params={"model": "pulse"}, content=b"x", headers={"Authorization": "Bearer sk_wrong"})
    assert_unified_error(invalid, 401)
    token_scheme = httpx.post(
        url, params={"model": "pulse"}, content=b"x", headers={"Authorization": f"Token {server.api_key}"}
    )
    assert_unified_error(token_scheme, 401)


def test_legacy_auth_bodies(server: ServerProcess) -> None:
    url = f"{server.base_url}/waves/v1/pulse/get_text"
    missing = httpx.post(url, content=b"x")
    assert missing.status_code == 401 and missing.json() == {"message": "Unauthorized: No tokens provided"}
    invalid = httpx.post(url, content=b"x", headers={"Authorization": "Bearer nope"})
    assert invalid.status_code == 401 and invalid.json() == {"error": "unauthorized"}


def test_token_query_parameter(server: ServerProcess) -> None:
    response = httpx.post(
        f"{server.base_url}/waves/v1/stt/",
        params={"model": "pulse-pro", "language": "en", "token": server.api_key},
        content=JFK.read_bytes(),
        timeout=60,
    )
    assert response.status_code == 200, response.text


def test_key_not_entitled_to_model_gets_403(server: ServerProcess) -> None:
    headers = {"Authorization": f"Bearer {PULSE_ONLY_KEY}"}
    assert_unified_error(post(server, {"model": "pulse-pro", "language": "en"}, JFK.read_bytes(), headers=headers), 403)
    assert post(server, {"model": "pulse", "language": "en"}, JFK.read_bytes(), headers=headers).status_code == 200


def test_empty_body(server: ServerProcess) -> None:
    body = assert_unified_error(post(server, {"model": "pulse"}, b""), 400)
    assert "Empty" in body["error"]


def test_undecodable_bytes(server: ServerProcess) -> None:
    body = assert_unified_error(post(server, {"model": "pulse"}, b"this is not audio at all " * 200), 400)
    assert "decode" in body["error"].lower()


def test_zero_length_audio(server: ServerProcess, tmp_path: Path) -> None:
    path = write_wav(np.zeros(0, dtype=np.float32), tmp_path / "empty.wav")
    body = assert_unified_error(post(server, {"model": "pulse"}, path.read_bytes()), 400)
    assert "no samples" in body["error"]


def test_legacy_validation_error_shape(server: ServerProcess) -> None:
    response = post(server, {}, b"garbage bytes " * 100, path="/waves/v1/pulse/get_text")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error" and body["message"] == "Error handling audio data" and body["errors"]


@pytest.mark.parametrize("flag", ["diarize", "emotion_detection", "gender_detection"])
def test_voice_analytics_are_pulse_only(server: ServerProcess, flag: str) -> None:
    body = assert_unified_error(post(server, {"model": "pulse-pro", "language": "en", flag: "true"}, JFK.read_bytes()), 400)
    assert flag in body["error"] and "pulse-pro" in body["error"]


@pytest.mark.parametrize(
    ("params", "name"),
    [({"num_speakers": "0"}, "num_speakers"), ({"max_speakers": "-2"}, "max_speakers"),
     ({"min_speakers": "x"}, "min_speakers"), ({"min_speakers": "4", "max_speakers": "2"}, "min_speakers")],
)
def test_bad_speaker_counts(server: ServerProcess, params: dict, name: str) -> None:
    response = post(server, {"model": "pulse", "language": "en", "diarize": "true", **params}, JFK.read_bytes())
    body = assert_unified_error(response, 400)
    assert name in body["error"]


def test_unknown_route_and_method_are_json(server: ServerProcess) -> None:
    missing = httpx.get(f"{server.base_url}/waves/v1/nope", headers=server.auth)
    assert missing.status_code == 404 and "error" in missing.json()
    wrong = httpx.get(f"{server.base_url}/waves/v1/stt/", headers=server.auth)
    assert wrong.status_code == 405 and "error" in wrong.json()
