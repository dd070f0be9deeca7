"""Request bodies to a spooled temp file, with the size limit enforced while reading; multipart unwrapped."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from fastapi import Request
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from models.config import LimitsConfig
from server.errors import ApiError, is_legacy

log = logging.getLogger(__name__)
BODY_CUT_SHORT = "The request body ended early: the client disconnected before sending all of it."


def too_large(request: Request, limit: int) -> ApiError:
    if is_legacy(request):
        return ApiError(400, "Audio data too large")
    return ApiError(413, f"File size exceeds maximum limit of {limit // (1024 * 1024)}MB.")


async def paced(pieces: AsyncIterator[bytes], limits: LimitsConfig) -> AsyncIterator[bytes]:
    """`pieces`, cut off with a 408 when the sender stalls or trickles (slow clients must not hold a request)."""
    started = time.monotonic()
    received = 0
    iterator = aiter(pieces)
    while True:
        try:
            piece = await asyncio.wait_for(anext(iterator), limits.body_idle_seconds)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise ApiError(408, f"Request body timed out: nothing received for {limits.body_idle_seconds:g} s.") from None
        received += len(piece)
        elapsed = time.monotonic() - started
        if elapsed > limits.body_rate_grace_seconds and received < elapsed * limits.min_body_bytes_per_second:
            raise ApiError(
                408, f"Request body too slow: {received / elapsed:.0f} bytes/s, at least "
                f"{limits.min_body_bytes_per_second} bytes/s expected."
            )
        yield piece


async def body_pieces(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; a client that hangs up mid-body gets a 400 (which it will never read), not a crash.

    Logged at DEBUG: uvicorn already warns about a malformed body, and a hang-up is the client's business.
    """
    try:
        async for piece in paced(request.stream(), request.app.state.config.limits):
            yield piece
    except ClientDisconnect:
        client = f"{request.client.host}:{request.client.port}" if request.client else "client"
        log.debug("%s %s: %s disconnected before the body was complete", request.method, request.url.path, client)
        raise ApiError(400, BODY_CUT_SHORT) from None


async def spool_body(request: Request, limit: int, memory_bytes: int) -> tuple[BinaryIO, int]:
    """Stream the body (plain or chunked) into a SpooledTemporaryFile; return it rewound and its size."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(request, limit)
    spool = tempfile.SpooledTemporaryFile(max_size=memory_bytes)
    size = 0
    try:
        async for piece in body_pieces(request):
            size += len(piece)
            if size > limit:
                raise too_large(request, limit)
            spool.write(piece)
    except BaseException:
        spool.close()
        raise
    if size == 0:
        spool.close()
        raise ApiError(400, "Empty request body: send the audio file bytes as the request body.")
    spool.seek(0)
    return spool, size


class _FirstFilePart:
    """Callbacks for python-multipart: copy the first part that carries a file into `target`."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.filename: str | None = None
        self.size = 0
        self.state = "before"  # before → reading → done
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        if self.state != "before":
            return
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        content_type = self._headers.get(b"content-type", b"").lower()
        if b"filename" in options or content_type.startswith((b"audio/", b"video/", b"application/octet-stream")):
            self.state = "reading"
            name = options.get(b"filename", b"").decode("utf-8", "replace").strip()
            self.filename = name or None

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.state == "reading":
            self.target.write(data[start:end])
            self.size += end - start

    def _part_end(self) -> None:
        if self.state == "reading":
            self.state = "done"


def first_file_part(body: BinaryIO, content_type: str, memory_bytes: int) -> tuple[BinaryIO, int, str | None]:
    """The first file part of a spooled multipart/form-data body (§3.1: tolerated, not documented)."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise ApiError(400, "Invalid multipart body: the Content-Type has no boundary.")
    spool = tempfile.SpooledTemporaryFile(max_size=memory_bytes)
    part = _FirstFilePart(spool)
    parser = MultipartParser(boundary, part.callbacks())
    try:
        while piece := body.read(1024 * 1024):
            parser.write(piece)
        parser.finalize()
    except MultipartParseError as exc:
        spool.close()
        raise ApiError(400, f"Invalid multipart body: {exc}") from None
    if part.state == "before" or part.size == 0:
        spool.close()
        raise ApiError(400, "Multipart body has no file: send the audio as a file part (e.g. field `file`).")
    spool.seek(0)
    return spool, part.size, part.filename
