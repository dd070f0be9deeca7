"""OpenAI routes refuse bad requests before any model runs: auth, size limit (declared or chunked), body type."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.helpers import JFK, REPO

URL = "/v1/audio/transcriptions"
AUTH = {"Authorization": "Bearer sk_limits"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["limits"]["max_upload_bytes"] = 64 * 1024
    path = Path(tmp_path_factory.mktemp("limits")) / "limits.yaml"
    path.write_text(yaml.safe_dump(config))
    # No lifespan: nothing is loaded, so every answer below comes before the pipeline.
    return TestClient(create_app(Settings(config=path, api_keys="sk_limits")))


def assert_openai_error(response, status: int, param: str | None) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["param"] == param
    return error


def test_missing_and_wrong_key(client: TestClient) -> None:
    error = assert_openai_error(client.post(URL, data={"model": "pulse"}), 401, None)
    assert error["code"] == "invalid_api_key"
    assert_openai_error(client.get("/v1/models", headers={"Authorization": "Bearer nope"}), 401, None)


def test_declared_size_over_the_limit(client: TestClient) -> None:
    response = client.post(URL, headers=AUTH, data={"model": "pulse"}, files={"file": JFK.open("rb")})
    assert_openai_error(response, 413, "file")


def test_chunked_upload_over_the_limit(client: TestClient) -> None:
    boundary = "pulseboundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\npulse\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="jfk.flac"\r\n'
            "Content-Type: audio/flac\r\n\r\n").encode()

    def body() -> Iterator[bytes]:
        yield head
        yield JFK.read_bytes()
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    assert_openai_error(client.post(URL, headers=headers, content=body()), 413, "file")


def test_raw_body_instead_of_multipart(client: TestClient) -> None:
    response = client.post(URL, headers={**AUTH, "Content-Type": "audio/flac"}, content=b"\x00" * 100)
    assert_openai_error(response, 400, "file")
