"""One live socket: frames in (size-capped, decoded off the event loop when large), JSON messages out.

Stages run in `models.streaming.pipeline.LivePipeline`; this module only moves messages. An error
after the upgrade is sent as `{"type":"error",…}` and followed by a close (§4.4.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from models.stages import Stages
from models.streaming.codecs import CodecError, make_decoder
from models.streaming.pipeline import LivePipeline
from models.streaming.runner import FinalEvent, LiveEvent, PartialEvent, SessionRunner
from models.streaming.runtime import LiveRuntime
from models.streaming.session import SpeechEvent
from server.live_params import LiveRequest
from server.schemas import live_error, transcription_message

log = logging.getLogger(__name__)

CLOSE_TYPES = frozenset({"close_stream", "end"})
KEEPALIVE_TYPES = frozenset({"keepalive", "keep_alive", "ping"})
# Control messages are a few dozen bytes; anything this large is not one.
MAX_TEXT_FRAME_BYTES = 64 * 1024
# Frames above this decode in a worker thread so a big one cannot stall other sessions or /health.
THREAD_DECODE_BYTES = 64 * 1024
# RFC 6455 close codes used after the upgrade.
CLOSE_NORMAL, CLOSE_INVALID_DATA, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_INTERNAL = 1000, 1007, 1008, 1009, 1011


class SessionError(Exception):
    """Ends a session: the client gets `{"type":"error","message":…}`, then a close with `code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class LiveConnection:
    """Wire side of one session; nothing is left behind when `serve` returns."""

    def __init__(
        self,
        ws: WebSocket,
        request: LiveRequest,
        runtime: LiveRuntime,
        session_id: str,
        stages: Stages,
        max_frame_bytes: int,
    ) -> None:
        self.ws = ws
        self.request = request
        self.runtime = runtime
        self.session_id = session_id
        self.max_frame_bytes = max_frame_bytes
        self.finals: list[str] = []
        self._send_lock = asyncio.Lock()
        self._terminated = False
        self.pipeline = LivePipeline(stages, request.stage_options())
        plan = runtime.plan(request.model, request.language.pinned)
        self.codec = make_decoder(request.encoding, request.sample_rate)
        session = runtime.new_session(plan, request.session)
        self.runner = SessionRunner(
            session_id, session, plan.decoder, runtime.scheduler, self.emit, self.pipeline.final
        )

    async def emit(self, event: LiveEvent) -> None:
        if isinstance(event, SpeechEvent):
            if self.request.vad_events:
                await self._send(
                    {"type": event.kind, "session_id": self.session_id, "timestamp": round(event.timestamp, 3)}
                )
            return
        if isinstance(event, PartialEvent):
            text, entities = await self.pipeline.partial(event.text)
            event = PartialEvent(text, entities)
        elif event.segment.text:
            self.finals.append(event.segment.text)
        message = transcription_message(
            self.session_id, event, self.request, self.pipeline.redacting, " ".join(self.finals)
        )
        await self._send(message, terminal=isinstance(event, FinalEvent) and event.is_last)

    async def _send(self, payload: dict[str, Any], terminal: bool = False) -> None:
        async with self._send_lock:
            if self._terminated or self.ws.client_state != WebSocketState.CONNECTED:
                return  # nothing may follow is_last; a gone client just drops messages
            self._terminated = terminal
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.ws.send_text(json.dumps(payload))

    async def fail(self, code: int, message: str) -> None:
        """Error event, then close: the one way a session ends on the server's initiative with an error."""
        await self._send(live_error(message))
        self._terminated = True
        await self._close(code, message[:120])

    async def _on_text(self, raw: str) -> bool:
        """Handle a control frame; True when the stream is ending. Unknown frames are ignored (§4.3)."""
        if len(raw) > MAX_TEXT_FRAME_BYTES:
            raise SessionError(
                CLOSE_TOO_BIG,
                f"Text message too large: control messages are at most "
                f"{MAX_TEXT_FRAME_BYTES // 1024} KB; send audio as binary frames.",
            )
        try:
            message = json.loads(raw)
        except RecursionError:
            raise SessionError(CLOSE_INVALID_DATA, "Invalid control message: JSON nested too deeply.") from None
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

    async def _on_bytes(self, data: bytes) -> None:
        if len(data) > self.max_frame_bytes:
            raise SessionError(
                CLOSE_TOO_BIG,
                f"Audio frame too large: {len(data)} bytes in one message; send at "
                f"most {self.max_frame_bytes} bytes per binary frame "
                "(limits.max_live_frame_bytes; 4 KB chunks are typical).",
            )
        try:
            if len(data) > THREAD_DECODE_BYTES:
                samples = await asyncio.to_thread(self.codec.decode, data)
            else:
                samples = self.codec.decode(data)
        except CodecError as exc:
            log.debug("session %s: dropped undecodable frame: %s", self.session_id, exc)
            return
        self.pipeline.feed(samples)
        await self.runner.feed(samples)

    async def serve(self) -> None:
        try:
            await self._pump()
        except SessionError as exc:
            log.info("live session %s ended by the server: %s", self.session_id, exc.message)
            await self.fail(exc.code, exc.message)
        finally:
            await self.runner.stop()

    async def _pump(self) -> None:
        idle = self.runtime.config.idle_timeout_seconds
        self.runner.start()
        closing = False
        closed_wait = asyncio.create_task(self.runner.closed.wait())
        try:
            while True:
                receive = asyncio.ensure_future(self.ws.receive())
                done, _ = await asyncio.wait({receive, closed_wait}, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                if closed_wait in done:
                    receive.cancel()
                    await self._close(CLOSE_NORMAL, "")
                    return
                if not done:
                    receive.cancel()
                    if not closing:  # inactivity: no audio and no keep-alive for `idle` seconds
                        raise SessionError(CLOSE_NORMAL, f"Idle timeout: no audio or keep-alive for {idle:g} s.")
                    continue
                message = receive.result()
                if message["type"] == "websocket.disconnect":
                    return
                if closing:
                    continue  # audio after close_stream is ignored
                if message.get("bytes") is not None:
                    await self._on_bytes(message["bytes"])
                elif message.get("text") is not None:
                    closing = await self._on_text(message["text"])
        finally:
            closed_wait.cancel()

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.ws.close(code, reason)
