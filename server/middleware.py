"""The outermost ASGI layer: a request id on every HTTP response and WS handshake answer, a URL length
cap, and a JSON 500 (with its `x-request-id`) for anything a route did not handle."""

from __future__ import annotations

import json
import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Internal server error"
# Messages that open an HTTP answer (or accept the upgrade): each gets the request id header.
_STARTS = frozenset({"http.response.start", "websocket.http.response.start", "websocket.accept"})


class RequestIdMiddleware:
    """Give every request a UUID (`request.state.request_id`, also a live session's id) echoed as `x-request-id`.

    It sits inside Starlette's error middleware, so it also turns an unhandled exception into the
    spec's JSON 500 itself: otherwise that answer would leave without the header.
    """

    def __init__(self, app: ASGIApp, max_url_bytes: int) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] in _STARTS:
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        url_bytes = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if url_bytes > self.max_url_bytes:
            message = (
                f"Request URI too long: {url_bytes} bytes; this server accepts at most {self.max_url_bytes} "
                "(limits.max_url_bytes). Send fewer or shorter keywords."
            )
            await _answer(scope, send_with_id, 414, message, request_id)
            return
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method", "WEBSOCKET"), scope.get("path"))
            if not started:
                await _answer(scope, send_with_id, 500, INTERNAL_ERROR, request_id)


async def _answer(scope: Scope, send: Send, status: int, message: str, request_id: str) -> None:
    """A JSON error answer (`{"error", "request_id"}`), as an HTTP response or a WS handshake denial."""
    body = json.dumps({"error": message, "request_id": request_id}).encode()
    prefix = "websocket.http" if scope["type"] == "websocket" else "http"
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": f"{prefix}.response.start", "status": status, "headers": headers})
    await send({"type": f"{prefix}.response.body", "body": body})
