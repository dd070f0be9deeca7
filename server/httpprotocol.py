"""uvicorn's HTTP protocol (httptools) with a deadline on the request head: slowloris clients are cut off.

uvicorn bounds only the idle time between requests (`timeout_keep_alive`); a client that opens a
connection and sends its request line and headers a byte at a time holds the socket for as long as it
likes. Here a timer starts when the connection is made (and again when a later request on it begins) and
stops once the head is complete; when it fires, a started request gets a JSON 408 and the connection is
closed. Bodies have their own bounds in `server/upload.py` (`limits.body_idle_seconds` …).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Use `with_header_timeout(seconds)`: uvicorn builds one instance per connection."""

    header_timeout_s: float = 30.0
    _head_timer: asyncio.TimerHandle | None = None
    _head_started = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_started = True
        if self._head_timer is None:  # a later request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        self._head_started = False
        super().on_headers_complete()

    def _arm(self) -> None:
        if self.header_timeout_s > 0:
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.info("closing the connection from %s: no complete request head within %g s (limits.header_timeout_seconds)",
                 client, self.header_timeout_s)
        if self._head_started:
            request_id = str(uuid.uuid4())
            body = json.dumps({
                "error": f"Request timed out: the request line and headers did not arrive within {self.header_timeout_s:g} s.",
                "request_id": request_id,
            }).encode()
            head = (f"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                    f"x-request-id: {request_id}\r\nconnection: close\r\n\r\n")
            self.transport.write(head.encode() + body)
        self.transport.close()


def with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class to pass as `uvicorn.run(..., http=…)`; `seconds <= 0` turns the deadline off."""
    return type("PulseHttpProtocol", (HeaderTimeoutProtocol,), {"header_timeout_s": seconds})
