"""Pre-recorded transcription routes: `POST /waves/v1/stt/`, `/waves/v1/stt` and legacy `/waves/v1/pulse/get_text`."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from server.auth import check_entitlement, require_api_key
from server.errors import ApiError
from server.jobs import (
    FetchError,
    JobsService,
    UrlRefused,
    WebhookExtraError,
    fetch_audio,
    owner_of,
    parse_webhook_extra,
)
from server.options import PrerecordedRequest, parse_prerecorded
from server.params import parse_choice
from server.prerecorded import build_body, busy, record, run_pipeline, stored_options
from server.schemas import stt_openapi
from server.upload import body_pieces, first_file_part, spool_body

log = logging.getLogger(__name__)
router = APIRouter()

MAX_JSON_BODY = 64 * 1024
BAD_URL_BODY = "Invalid JSON data: missing or invalid 'url' field"
# E3 without `language` auto-detects among the European languages (§3.2, PROBE).
LEGACY_LANGUAGE = "multi-eu"


def _jobs(request: Request) -> JobsService:
    service: JobsService | None = getattr(request.app.state, "jobs", None)
    if service is None:
        raise ApiError(503, "Async jobs and audio by URL are not enabled on this server.")
    return service


async def _url_from_json(request: Request) -> str:
    raw = b""
    async for piece in body_pieces(request):
        raw += piece
        if len(raw) > MAX_JSON_BODY:
            raise ApiError(400, f"{BAD_URL_BODY}: the JSON body is larger than {MAX_JSON_BODY // 1024} KB")
    try:
        url = json.loads(raw or b"null").get("url")
    except (ValueError, AttributeError):
        raise ApiError(400, BAD_URL_BODY) from None
    if not isinstance(url, str) or not url.strip():
        raise ApiError(400, BAD_URL_BODY)
    return url.strip()


async def _handle(
    request: Request, parsed: PrerecordedRequest, params: Mapping[str, str], api_key: str
) -> dict[str, Any]:
    state = request.app.state
    request_id: str = request.state.request_id
    owner = owner_of(api_key)
    webhook_url = (params.get("webhook_url") or "").strip() or None
    webhook_method = (
        parse_choice(
            {k: v.upper() for k, v in params.items() if k == "webhook_method"},
            "webhook_method",
            ("GET", "POST"),
            "POST",
        )
        or "POST"
    )
    try:
        webhook_extra = parse_webhook_extra(params.get("webhook_extra"))
    except WebhookExtraError as exc:
        raise ApiError(400, f"Invalid value for query param: webhook_extra. {exc}") from None
    full_type = request.headers.get("content-type", "")
    content_type = full_type.split(";")[0].strip().lower()
    pool = parsed.model.pool
    with ExitStack() as cleanup:
        filename: str | None = None
        if content_type == "application/json":
            if parsed.model.name == "pulse-pro":
                raise ApiError(400, "Audio by URL is not supported for pulse-pro: send the audio bytes instead.")
            url = await _url_from_json(request)
            jobs = _jobs(request)
            try:
                fetched = await fetch_audio(url, jobs.config.fetch, guard=jobs.guard)
            except FetchError as exc:
                raise ApiError(400, f"Could not fetch audio from url: {exc.message}") from None
            cleanup.callback(fetched.discard)
            source = cleanup.enter_context(fetched.path.open("rb"))
            size, filename = fetched.size, fetched.filename
        else:
            if not webhook_url and pool.admitted >= pool.capacity:
                raise busy(pool.retry_after)  # refuse before reading a body we could not process now
            limits = state.config.limits
            source, size = await spool_body(request, limits.max_upload_bytes, limits.spool_memory_bytes)
            cleanup.enter_context(source)
            if content_type == "multipart/form-data":
                body = source
                source, size, filename = await asyncio.to_thread(
                    first_file_part, body, full_type, limits.spool_memory_bytes
                )
                cleanup.enter_context(source)
                body.close()
        if webhook_url:
            options = stored_options(params)
            if filename is not None:
                options["_filename"] = filename
            try:
                await _jobs(request).submit(
                    model=parsed.model.name,
                    options=options,
                    audio=source,
                    owner=owner,
                    webhook_url=webhook_url,
                    webhook_method=webhook_method,
                    webhook_extra=webhook_extra,
                    request_id=request_id,
                )
            except UrlRefused as exc:
                raise ApiError(400, f"Invalid value for query param: webhook_url. {exc}") from None
            return {"status": "processing", "request_id": request_id}
        result = await run_pipeline(state, parsed, source)
    body = build_body(parsed, result, size, request_id, filename)
    await record(state, parsed, params, body, size, request_id, owner)
    return body


@router.post("/waves/v1/stt/", openapi_extra=stt_openapi())
@router.post("/waves/v1/stt", include_in_schema=False)
async def transcribe(request: Request, api_key: str = Depends(require_api_key)) -> JSONResponse:
    """Unified pre-recorded endpoint (E1, E1'): `model` is required."""
    state = request.app.state
    params = request.query_params
    parsed = parse_prerecorded(
        state.registry,
        params,
        default_model=None,
        default_language=None,
        enabled_features=state.enabled_features,
    )
    check_entitlement(request.state.api_key, parsed.model.name)
    return JSONResponse(await _handle(request, parsed, params, api_key))


@router.post("/waves/v1/pulse/get_text", openapi_extra=stt_openapi(legacy=True))
@router.post("/waves/v1/pulse/get_text/", include_in_schema=False)
async def transcribe_legacy(request: Request, api_key: str = Depends(require_api_key)) -> JSONResponse:
    """Legacy Pulse endpoint (E3): always `pulse`; an omitted language auto-detects (multi-eu)."""
    state = request.app.state
    params = {k: v for k, v in request.query_params.items() if k != "model"}
    if not (params.get("language") or "").strip():
        params["language"] = LEGACY_LANGUAGE  # stored with an async job too, so the worker decodes the same way
    parsed = parse_prerecorded(
        state.registry, params, default_model="pulse", default_language=None, enabled_features=state.enabled_features
    )
    check_entitlement(request.state.api_key, parsed.model.name)
    return JSONResponse(await _handle(request, parsed, params, api_key))
