"""The outermost ASGI layer in-process (no models loaded): request ids on 500s, the URL length cap, OpenAPI."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.settings import Settings
from tests.helpers import REPO


@pytest.fixture(scope="module")
def app() -> FastAPI:
    app = create_app(Settings(config=REPO / "configs" / "default.yaml"))

    async def broken() -> None:
        raise RuntimeError("a bug in a route")

    app.add_api_route("/test-only/broken", broken)
    return app


def request(app: FastAPI, method: str, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path)

    return asyncio.run(go())


def test_unhandled_error_is_a_json_500_with_its_request_id(app: FastAPI) -> None:
    response = request(app, "GET", "/test-only/broken")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error", "request_id": response.headers["x-request-id"]}


def test_overlong_url_is_a_json_414(app: FastAPI) -> None:
    response = request(app, "POST", "/waves/v1/stt/?model=pulse&keywords=" + "k" * 40_000)
    assert response.status_code == 414
    assert "limits.max_url_bytes" in response.json()["error"]
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_openapi_describes_the_raw_audio_body_and_query(app: FastAPI) -> None:
    spec = request(app, "GET", "/openapi.json").json()
    for path, model_required in (("/waves/v1/stt/", True), ("/waves/v1/pulse/get_text", False)):
        operation = spec["paths"][path]["post"]
        assert operation["requestBody"]["required"] is True
        content = operation["requestBody"]["content"]
        assert content["application/octet-stream"]["schema"]["format"] == "binary"
        assert content["audio/*"]["schema"]["format"] == "binary"
        assert content["multipart/form-data"]["schema"]["required"] == ["file"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert {"language", "word_timestamps", "encoding", "sample_rate", "webhook_url"} <= set(parameters)
        assert ("model" in parameters and parameters["model"]["required"]) is model_required
        assert {"400", "401", "413", "429"} <= set(operation["responses"])
