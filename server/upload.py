"""Request bodies to a spooled temp file, with the size limit enforced while reading."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator
from typing import BinaryIO

from fastapi import Request
from starlette.requests import ClientDisconnect

from server.errors import ApiError, is_legacy

log = logging.getLogger(__name__)
BODY_CUT_SHORT = "The request body ended early: the client disconnected before sending all of it."


def too_large(request: Request, limit: int) -> ApiError:
    if is_legacy(request):
        return ApiError(400, "Audio data too large")
    return ApiError(413, f"File size exceeds maximum limit of {limit // (1024 * 1024)}MB.")


async def body_pieces(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; a client that hangs up mid-body gets a 400 (which it will never read), not a crash.

    Logged at DEBUG: uvicorn already warns about a malformed body, and a hang-up is the client's business.
    """
    try:
        async for piece in request.stream():
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
