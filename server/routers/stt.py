"""Pre-recorded transcription routes: `POST /waves/v1/stt/`, `/waves/v1/stt` and legacy `/waves/v1/pulse/get_text`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from models.audio import AudioDecodeError
from models.pipeline import TranscribeOptions, transcribe_file
from models.pool import PoolFull
from server.auth import check_entitlement, require_api_key
from server.errors import ApiError
from server.options import PrerecordedRequest, parse_prerecorded
from server.schemas import pulse_pro_response, pulse_response
from server.upload import spool_body

log = logging.getLogger(__name__)
router = APIRouter()

RATE_LIMITED = "Rate limit exceeded. Please retry after a short backoff."


def _busy(retry_after: int) -> ApiError:
    return ApiError(429, RATE_LIMITED, headers={"Retry-After": str(retry_after)})


async def _transcribe(request: Request, parsed: PrerecordedRequest) -> dict[str, Any]:
    state = request.app.state
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        if parsed.model.name == "pulse-pro":
            raise ApiError(400, "Audio by URL is not supported for pulse-pro: send the audio bytes instead.")
        raise ApiError(
            400, "Unsupported option: audio by URL is not available on this server yet; send the audio bytes."
        )
    if content_type.startswith("multipart/"):
        raise ApiError(400, "Multipart uploads are not supported: send the raw audio bytes as the request body.")
    pool = parsed.model.pool
    if pool.admitted >= pool.capacity:  # refuse before reading a large body we could not process
        raise _busy(pool.retry_after)
    limits = state.config.limits
    body, size = await spool_body(request, limits.max_upload_bytes, limits.spool_memory_bytes)
    options = TranscribeOptions(
        language=parsed.language,
        word_timestamps=parsed.word_timestamps or False,
        utterances=parsed.word_timestamps and parsed.model.name == "pulse",
    )
    try:
        with body:
            result = await pool.run(lambda: transcribe_file(parsed.model, body, options))
    except PoolFull as exc:
        raise _busy(exc.retry_after) from None
    except AudioDecodeError as exc:
        raise ApiError(400, str(exc)) from None
    if parsed.model.name == "pulse-pro":
        return pulse_pro_response(
            result.transcript, size, parsed.word_timestamps, result.processing_seconds, request.state.request_id
        )
    return pulse_response(result.transcript, size, parsed.word_timestamps)


@router.post("/waves/v1/stt/")
@router.post("/waves/v1/stt", include_in_schema=False)
async def transcribe(request: Request, _key: str = Depends(require_api_key)) -> JSONResponse:
    """Unified pre-recorded endpoint (E1, E1'): `model` is required."""
    state = request.app.state
    parsed = parse_prerecorded(
        state.registry,
        request.query_params,
        default_model=None,
        default_language=None,
        enabled_features=state.enabled_features,
    )
    check_entitlement(request.state.api_key, parsed.model.name)
    return JSONResponse(await _transcribe(request, parsed))


@router.post("/waves/v1/pulse/get_text")
@router.post("/waves/v1/pulse/get_text/", include_in_schema=False)
async def transcribe_legacy(request: Request, _key: str = Depends(require_api_key)) -> JSONResponse:
    """Legacy Pulse endpoint (E3): always `pulse`; an omitted language auto-detects (multi-eu)."""
    state = request.app.state
    params = {k: v for k, v in request.query_params.items() if k != "model"}
    parsed = parse_prerecorded(
        state.registry,
        params,
        default_model="pulse",
        default_language="multi-eu",
        enabled_features=state.enabled_features,
    )
    check_entitlement(request.state.api_key, parsed.model.name)
    return JSONResponse(await _transcribe(request, parsed))
