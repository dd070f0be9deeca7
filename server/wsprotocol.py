"""uvicorn's WebSocket protocol (websockets sans-I/O) with its handshake gaps closed.

- A handshake the websockets parser refuses (request line or header over its line limit) is answered
  by websockets into a buffer that older uvicorn never writes (the client hears nothing until it times
  out) and newer uvicorn sends as plain text. Here the refusal is the API's JSON error with an `x-request-id`.
- A denial response sent by the app (`websocket.http.response.*`) completes the handshake, so uvicorn
  no longer logs "ASGI callable returned without completing handshake" for every 400/401/429.
- The line limit is raised from websockets' 8 KB to `MAX_HANDSHAKE_LINE_BYTES`, so a long `keywords`
  list reaches the app (which caps URLs at `limits.max_url_bytes` with a JSON 414) as on the HTTP route.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import websockets.http11
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.http11 import Response

MAX_HANDSHAKE_LINE_BYTES = 64 * 1024
_REFUSALS = {
    "RequestLineTooLong": (414, "URI Too Long", "Request URI too long for a WebSocket handshake"),
    "HeaderLineTooLong": (431, "Request Header Fields Too Large", "A handshake header line is too long"),
    "TooManyHeaders": (431, "Request Header Fields Too Large", "The handshake has too many headers"),
}


class PulseWebSocketProtocol(WebSocketsSansIOProtocol):
    """Pass as `uvicorn.run(..., ws=PulseWebSocketProtocol)`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # websockets reads this module constant on every handshake it parses (default 8192).
        websockets.http11.MAX_LINE_LENGTH = max(websockets.http11.MAX_LINE_LENGTH, MAX_HANDSHAKE_LINE_BYTES)
        super().__init__(*args, **kwargs)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        refused = self.conn.handshake_exc
        if refused is not None and not self.handshake_initiated and not self.transport.is_closing():
            self._send_refusal(refused)  # older uvicorn leaves the refusal unsent

    def handle_handshake_exception(self) -> None:
        # newer uvicorn (0.55) sends websockets' plain-text refusal from here; the API's JSON shape replaces it.
        self._send_refusal(self.conn.handshake_exc)

    def _send_refusal(self, refused: Exception) -> None:
        self.conn.data_to_send()  # websockets' own plain-text answer: replaced by the API's JSON shape
        status, phrase, message = _REFUSALS.get(
            type(refused).__name__, (400, "Bad Request", "Invalid WebSocket handshake request")
        )
        request_id = str(uuid.uuid4())
        limit = f" (at most {MAX_HANDSHAKE_LINE_BYTES} bytes per line)" if status in (414, 431) else ""
        body = json.dumps({"error": f"{message}{limit}.", "request_id": request_id}).encode()
        headers = Headers(
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
                ("x-request-id", request_id),
            ]
        )
        self.close_sent = True
        self.handshake_complete = True
        self.transport.write(Response(status, phrase, headers, body).serialize())
        self.transport.close()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            self.handshake_complete = True
