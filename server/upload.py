"""Request bodies to a spooled temp file, with the size limit enforced while reading."""

from __future__ import annotations

import tempfile
from typing import BinaryIO

from fastapi import Request

from server.errors import ApiError, is_legacy


def too_large(request: Request, limit: int) -> ApiError:
    if is_legacy(request):
        return ApiError(400, "Audio data too large")
    return ApiError(413, f"File size exceeds maximum limit of {limit // (1024 * 1024)}MB.")


async def spool_body(request: Request, limit: int, memory_bytes: int) -> tuple[BinaryIO, int]:
    """Stream the body (plain or chunked) into a SpooledTemporaryFile; return it rewound and its size."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(request, limit)
    spool = tempfile.SpooledTemporaryFile(max_size=memory_bytes)
    size = 0
    try:
        async for piece in request.stream():
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
