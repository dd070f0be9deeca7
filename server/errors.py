"""Errors as values with a status and a message, rendered as the JSON bodies of spec §3.6."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

LEGACY_PATH = "/waves/v1/pulse/get_text"
LEGACY_MESSAGE = "Error handling audio data"


class ApiError(Exception):
    """An error the caller can act on. `body` overrides the default body shape when set."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        body: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.body = body


def is_legacy(request: Request) -> bool:
    return request.url.path.rstrip("/") == LEGACY_PATH


def error_body(request: Request, status: int, message: str) -> dict[str, object]:
    """Unified `SttErrorResponse` on E1; the probed legacy shapes on E3 (§3.6)."""
    request_id = getattr(request.state, "request_id", None)
    if is_legacy(request) and status in (400, 413):
        return {"errors": message, "status": "error", "message": LEGACY_MESSAGE}
    body: dict[str, object] = {"error": message}
    if request_id:
        body["request_id"] = request_id
    return body


def error_response(request: Request, error: ApiError) -> JSONResponse:
    body = error.body if error.body is not None else error_body(request, error.status, error.message)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """ApiError, validation and HTTP errors as JSON; an unhandled exception is `server.middleware`'s 500."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"Invalid request: {where}: {first.get('msg', 'invalid value')}"
        return JSONResponse(error_body(request, 400, message), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404:
            message = f"Not found: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        return JSONResponse(error_body(request, exc.status_code, message), status_code=exc.status_code)
