"""Live transcription sockets: `WS /waves/v1/stt/live` (E2) and legacy `WS /waves/v1/pulse/get_text` (E4)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from models.audio import SAMPLE_RATE
from models.streaming.runtime import LiveRuntime
from server.auth import authenticate, check_entitlement
from server.errors import ApiError
from server.jobs import LogEntry, owner_of
from server.live_connection import CLOSE_INTERNAL, CLOSE_POLICY, LiveConnection
from server.live_params import parse_live
from server.schemas import live_error

log = logging.getLogger(__name__)
router = APIRouter()

TOO_MANY_SESSIONS = "Too many concurrent live sessions on this server. Retry shortly."


@router.get("/health/live", include_in_schema=False)
async def live_health(request: Request) -> dict[str, Any]:
    """Live-path counters (active sessions, queued decodes) for operators and leak checks."""
    runtime: LiveRuntime = request.app.state.live
    stats = runtime.scheduler.stats
    return {
        "active_sessions": runtime.active_sessions,
        "queued_decodes": runtime.scheduler.queued,
        "finals_run": stats.finals_run,
        "partials_run": stats.partials_run,
        "partials_dropped": stats.partials_dropped,
        "batches_run": stats.batches_run,
        "busy_seconds": round(stats.busy_seconds, 3),
        "final_audio_seconds": round(stats.final_audio_seconds, 3),
        "partial_audio_seconds": round(stats.partial_audio_seconds, 3),
    }


async def _deny(ws: WebSocket, error: ApiError) -> None:
    """Reject before the upgrade: the status and an `SttErrorResponse` JSON body (region errors keep their code)."""
    body: dict[str, Any] = {"error": error.message, "request_id": ws.state.request_id}
    if error.body and "error_code" in error.body:
        body["error_code"] = error.body["error_code"]
    await ws.send_denial_response(JSONResponse(body, status_code=error.status, headers=error.headers))


async def _over_cap(ws: WebSocket) -> None:
    """The session cap (§4.1): the upgrade succeeds, then an error event and close code 1008 (policy)."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.accept()
        await ws.send_json(live_error(TOO_MANY_SESSIONS))
        await ws.close(CLOSE_POLICY, "too many concurrent sessions")


async def _serve(ws: WebSocket, legacy: bool) -> None:
    state = ws.app.state
    runtime: LiveRuntime = state.live
    session_id: str = ws.state.request_id
    try:
        key = authenticate(state.api_keys, ws.headers, ws.query_params, legacy=False)
        request = parse_live(
            state.registry,
            ws.query_params,
            legacy=legacy,
            enabled_features=state.enabled_features,
            live_models=state.live_models,
        )
        check_entitlement(key, request.model.name)
    except ApiError as error:
        await _deny(ws, error)
        return
    if not runtime.try_reserve(session_id):
        await _over_cap(ws)
        return
    connection: LiveConnection | None = None
    try:
        connection = LiveConnection(
            ws, request, runtime, session_id, state.stages, state.config.limits.max_live_frame_bytes
        )
        await ws.accept()
        await connection.serve()
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("live session %s failed", session_id)
        if connection is not None:
            await connection.fail(CLOSE_INTERNAL, "Internal server error: the session ended unexpectedly.")
        else:
            raise
    finally:
        runtime.release(session_id)
        if connection is not None:
            await _log_session(state, connection, session_id, key.key if key else "")


async def _log_session(state: Any, connection: LiveConnection, session_id: str, api_key: str) -> None:
    """One request-log row per live session (metadata; text only if enabled and never when redacting)."""
    jobs = getattr(state, "jobs", None)
    if jobs is None:
        return
    request = connection.request
    entry = LogEntry.for_request(
        request.features,
        " ".join(connection.finals),
        jobs.config.store.log_transcripts,
        request_id=session_id,
        request_type="ws",
        model=request.model.name,
        language=request.language.requested,
        duration=round(connection.runner.session.total / SAMPLE_RATE, 3),
        word_timestamps=request.word_timestamps,
        keywords=",".join(k.text for k in request.keywords),
        owner=owner_of(api_key),
    )
    try:
        await jobs.log_request(entry)
    except Exception:  # the log must never break a session's teardown
        log.exception("request log write failed for live session %s", session_id)


@router.websocket("/waves/v1/stt/live")
async def live(ws: WebSocket) -> None:
    """Unified streaming endpoint (E2): `model=pulse` required."""
    await _serve(ws, legacy=False)


@router.websocket("/waves/v1/pulse/get_text")
async def legacy_live(ws: WebSocket) -> None:
    """Legacy streaming endpoint (E4): no `model`, language defaults to `multi-eu`, word timestamps on."""
    await _serve(ws, legacy=True)
