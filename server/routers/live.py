"""Live transcription sockets: `WS /waves/v1/stt/live` (E2) and legacy `WS /waves/v1/pulse/get_text` (E4)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from models.stages import Stages
from models.streaming.codecs import CodecError, make_decoder
from models.streaming.config import live_server_config
from models.streaming.enrich import LiveEnrichment
from models.streaming.runner import FinalEvent, LiveEvent, PartialEvent, SessionRunner
from models.streaming.runtime import LiveRuntime
from models.streaming.session import FinalSegment, SpeechEvent
from models.text import apply_text_options
from models.utterances import join_words, split_utterances
from server.auth import authenticate, check_entitlement
from server.errors import ApiError
from server.jobs import LogEntry, owner_of
from server.live_params import LiveRequest, parse_live
from server.schemas import utterance_json, word_json

log = logging.getLogger(__name__)
router = APIRouter()

TOO_MANY_SESSIONS = "Too many concurrent live sessions on this server. Retry shortly."
CLOSE_TYPES = frozenset({"close_stream", "end"})
KEEPALIVE_TYPES = frozenset({"keepalive", "keep_alive", "ping"})
# How long a terminated session may take to flush its last finals before the socket is closed anyway.
CLOSE_GRACE_SECONDS = 60.0


def live_runtime(app: FastAPI) -> LiveRuntime:
    """Created on first use so `create_app` stays untouched; `app.state.live.active_sessions` feeds /health."""
    runtime = getattr(app.state, "live", None)
    if runtime is None:
        runtime = LiveRuntime(app.state.registry, live_server_config(app.state.config.live))
        app.state.live = runtime
    return runtime


@router.get("/health/live", include_in_schema=False)
async def live_health(request: Request) -> dict[str, Any]:
    """Live-path counters (active sessions, queued decodes) for operators and leak checks."""
    runtime = live_runtime(request.app)
    stats = runtime.scheduler.stats
    return {
        "active_sessions": runtime.active_sessions,
        "queued_decodes": runtime.scheduler.queued,
        "finals_run": stats.finals_run,
        "partials_run": stats.partials_run,
        "partials_dropped": stats.partials_dropped,
        "batches_run": stats.batches_run,
    }


def _final_fields(segment: FinalSegment, request: LiveRequest) -> tuple[list[Any], str]:
    """Text options and keyword casing on a final (§8.2, §8.3): finals only, never partials."""
    return apply_text_options(segment.words, join_words(segment.words, segment.language), request.text,
                              segment.language)


class LiveConnection:
    """Wire side of one session: frames in, JSON messages out, nothing left behind on exit."""

    def __init__(
        self, ws: WebSocket, request: LiveRequest, runtime: LiveRuntime, session_id: str, stages: Stages
    ) -> None:
        self.ws = ws
        self.request = request
        self.runtime = runtime
        self.session_id = session_id
        self.finals: list[str] = []
        self._send_lock = asyncio.Lock()
        self._terminated = False
        self.enrich = LiveEnrichment(
            stages,
            diarize="diarize" in request.features,
            redact_pii="redact_pii" in request.features,
            redact_pci="redact_pci" in request.features,
        )
        self._language = request.language.pinned
        plan = runtime.plan(request.model, request.language.pinned)
        self.codec = make_decoder(request.encoding, request.sample_rate)
        self.runner = SessionRunner(
            session_id,
            runtime.new_session(plan, request.session),
            plan.decoder,
            runtime.scheduler,
            self.emit,
            self._format_final,
        )

    async def _format_final(self, segment: FinalSegment) -> FinalSegment:
        """Text options (ITN, formatting) → speaker labels → redaction (§8.1 order), off the event loop."""
        words, text = _final_fields(segment, self.request)
        segment = replace(segment, words=words, display_text=text)
        if segment.language:
            self._language = segment.language
        if not self.enrich.active:
            return segment
        segment, entities = await asyncio.to_thread(self.enrich.final, segment)
        return replace(segment, redacted_entities=entities)

    def _message(self, event: PartialEvent | FinalEvent) -> dict[str, Any]:
        if isinstance(event, PartialEvent):
            text, final, last = event.text, False, False
        else:
            text = event.segment.text
            final, last = True, event.is_last
            if text:
                self.finals.append(text)
        message: dict[str, Any] = {
            "type": "transcription",
            "status": "success",
            "session_id": self.session_id,
            "transcript": text,
            "transcription": text,
            "is_final": final,
            "is_last": last,
        }
        if isinstance(event, FinalEvent):
            language = event.segment.language
            message["from_finalize"] = event.from_finalize
            message["language"] = language
            message["languages"] = [language] if language else []
            if self.request.word_timestamps:
                message["words"] = [word_json(w) for w in event.segment.words]
            if self.request.sentence_timestamps:
                pause = self.request.model.config.utterance_pause_seconds
                message["utterances"] = [
                    utterance_json(u) for u in split_utterances(event.segment.words, pause, language)
                ]
            if self.enrich.redacting:
                message["redacted_entities"] = event.segment.redacted_entities
        elif self.enrich.redacting:
            message["redacted_entities"] = event.entities
        if self.request.full_transcript:
            message["full_transcript"] = " ".join(self.finals)
        return message

    async def emit(self, event: LiveEvent) -> None:
        if isinstance(event, SpeechEvent):
            if not self.request.vad_events:
                return
            payload: dict[str, Any] = {"type": event.kind, "session_id": self.session_id,
                                       "timestamp": round(event.timestamp, 3)}
        else:
            if isinstance(event, PartialEvent) and self.enrich.redacting:
                # No unredacted text on the wire at all when redaction is on, partials included.
                text, entities = await asyncio.to_thread(self.enrich.partial, event.text, self._language)
                event = PartialEvent(text, entities)
            payload = self._message(event)
        await self._send(payload, terminal=isinstance(event, FinalEvent) and event.is_last)

    async def _send(self, payload: dict[str, Any], terminal: bool = False) -> None:
        async with self._send_lock:
            if self._terminated or self.ws.client_state != WebSocketState.CONNECTED:
                return  # nothing may follow is_last; a gone client just drops messages
            self._terminated = terminal
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.ws.send_text(json.dumps(payload))

    async def _on_text(self, raw: str) -> bool:
        """Handle a control frame; True when the stream is ending. Unknown frames are ignored (§4.3)."""
        try:
            message = json.loads(raw)
        except ValueError:
            return False
        if not isinstance(message, dict):
            return False
        kind = str(message.get("type", "")).lower()
        if str(message.get("flag", "")).upper() == "END" or kind in CLOSE_TYPES:
            self.runner.close_stream()
            return True
        if kind == "finalize":
            self.runner.finalize()
        elif kind in KEEPALIVE_TYPES:
            await self._send({"type": "pong"})
        return False

    async def serve(self) -> None:
        idle = self.runtime.config.idle_timeout_seconds
        self.runner.start()
        closing = False
        closed_wait = asyncio.create_task(self.runner.closed.wait())
        try:
            while True:
                receive = asyncio.ensure_future(self.ws.receive())
                done, _ = await asyncio.wait({receive, closed_wait}, timeout=idle,
                                             return_when=asyncio.FIRST_COMPLETED)
                if closed_wait in done:
                    receive.cancel()
                    await self._close(1000, "")
                    return
                if not done:
                    receive.cancel()
                    if not closing:  # inactivity: no audio and no keep-alive for `idle` seconds
                        await self._close(1000, "idle timeout")
                        return
                    continue
                message = receive.result()
                if message["type"] == "websocket.disconnect":
                    return
                if closing:
                    continue  # audio after close_stream is ignored
                if message.get("bytes") is not None:
                    try:
                        samples = self.codec.decode(message["bytes"])
                    except CodecError as exc:
                        log.debug("session %s: dropped undecodable frame: %s", self.session_id, exc)
                        continue
                    self.enrich.feed(samples)
                    await self.runner.feed(samples)
                elif message.get("text") is not None:
                    closing = await self._on_text(message["text"])
        finally:
            closed_wait.cancel()
            await self.runner.stop()

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.ws.close(code, reason)


async def _deny(ws: WebSocket, error: ApiError) -> None:
    """Reject before the upgrade: the status and an `SttErrorResponse` JSON body (region errors keep their code)."""
    body: dict[str, Any] = {"error": error.message, "request_id": str(uuid.uuid4())}
    if error.body and "error_code" in error.body:
        body["error_code"] = error.body["error_code"]
    await ws.send_denial_response(JSONResponse(body, status_code=error.status, headers=error.headers))


async def _serve(ws: WebSocket, legacy: bool) -> None:
    state = ws.app.state
    runtime = live_runtime(ws.app)
    session_id = str(uuid.uuid4())
    try:
        key = authenticate(state.api_keys, ws.headers, ws.query_params, legacy=False)
        request = parse_live(state.registry, ws.query_params, legacy=legacy, enabled_features=state.enabled_features)
        check_entitlement(key, request.model.name)
        if not runtime.try_reserve(session_id):
            raise ApiError(429, TOO_MANY_SESSIONS, headers={"Retry-After": "2"})
    except ApiError as error:
        await _deny(ws, error)
        return
    connection: LiveConnection | None = None
    try:
        connection = LiveConnection(ws, request, runtime, session_id, ws.app.state.stages)
        await ws.accept()
        await connection.serve()
    except WebSocketDisconnect:
        pass
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
    keep_text = jobs.config.store.log_transcripts and not connection.enrich.redacting
    entry = LogEntry(
        request_id=session_id,
        request_type="ws",
        model=request.model.name,
        language=request.language.requested,
        duration=round(connection.runner.session.total / 16000, 3),
        transcription=" ".join(connection.finals) if keep_text else "",
        word_timestamps=request.word_timestamps,
        diarize="diarize" in request.features,
        redact_pii="redact_pii" in request.features,
        redact_pci="redact_pci" in request.features,
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
