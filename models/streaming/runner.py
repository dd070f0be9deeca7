"""Async driver of one live session: audio and control in, partial/final/VAD events out, in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from models.audio import SAMPLE_RATE
from models.streaming.decoder import DecodeResult, LiveDecoder
from models.streaming.scheduler import DecodeScheduler
from models.streaming.session import DecodeJob, FinalSegment, LiveSession, SpeechEvent

log = logging.getLogger(__name__)
# Speculative final decodes queue in the scheduler's partial lane under their own key, so a newer
# partial of the same session does not replace them.
PREFINAL_KEY = "{}#prefinal"


@dataclass
class PartialEvent:
    text: str
    entities: list[str] = field(default_factory=list)


@dataclass
class FinalEvent:
    segment: FinalSegment
    from_finalize: bool
    is_last: bool = False


LiveEvent = PartialEvent | FinalEvent | SpeechEvent
Emit = Callable[[LiveEvent], Awaitable[None]]
# Finals pass through here before they are emitted (text options, speakers, redaction …).
FinalHook = Callable[[FinalSegment], Awaitable[FinalSegment]]


class SessionRunner:
    """Owns the decode side of a session. `feed`, `finalize`, `close` are called by the transport.

    One control task handles finals strictly in order; partial decodes run as at most one
    background task whose result is discarded if a final overtook it.
    """

    def __init__(
        self,
        session_id: str,
        session: LiveSession,
        decoder: LiveDecoder,
        scheduler: DecodeScheduler,
        emit: Emit,
        final_hook: FinalHook | None = None,
    ) -> None:
        self.session_id = session_id
        self.session = session
        self.decoder = decoder
        self.scheduler = scheduler
        self.emit = emit
        self.final_hook = final_hook
        self._commands: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._partials: set[asyncio.Task[None]] = set()
        self._control: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        # The speculative final decode of the latest pause and the task yielding its result.
        self._prefinal: tuple[DecodeJob, asyncio.Task[DecodeResult | None]] | None = None

    def start(self) -> None:
        self._control = asyncio.create_task(self._run(), name=f"live-{self.session_id}")

    async def feed(self, samples: np.ndarray) -> None:
        """Buffer audio and run the VAD on it (on a worker thread when the chunk is long)."""
        dropped = self.session.audio.dropped
        if samples.size > self.scheduler.config.vad_in_thread_seconds * SAMPLE_RATE:
            heard = self.session.vad_input(samples)
            frames = await asyncio.to_thread(self.session.vad.feed, heard)
            events = self.session.feed_decided(samples, frames)
        else:
            events = self.session.feed(samples)
        if self.session.audio.dropped > dropped:
            log.warning("session %s: undecoded audio over live.max_buffer_seconds, %.1f s dropped", self.session_id,
                        (self.session.audio.dropped - dropped) / SAMPLE_RATE)
        for event in events:
            await self.emit(event)
        self._wake.set()

    def finalize(self) -> None:
        # Remember how much audio had arrived: the final covers exactly that.
        self._commands.put_nowait(("finalize", self.session.total))
        self._wake.set()

    def close_stream(self) -> None:
        self._commands.put_nowait(("close", self.session.total))
        self._wake.set()

    async def stop(self) -> None:
        """Abrupt end (client gone, idle timeout): cancel everything, keep nothing."""
        tasks = [*self._partials, self._control, *([self._prefinal[1]] if self._prefinal else [])]
        for task in tasks:
            if task is not None and not task.done():
                task.cancel()
        for task in tasks:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self.scheduler.drop_session(self.session_id)
        self.scheduler.drop_session(PREFINAL_KEY.format(self.session_id))

    async def _final(self, reason: str, from_finalize: bool, upto: int | None = None) -> None:
        spent = await self._settle_prefinal()
        job = self.session.final_job(reason, upto)
        result = spent[1] if spent is not None and spent[0].key == job.key else None
        if result is None and job.audio is not None:
            request = job.request(self.session.options, greedy=False)  # finals keep beam search under load
            result = await self.scheduler.run_final(self.session_id, self.decoder, request)
        log.debug("session %s final (%s): speculative decode reused %s, %.2f s of audio after %d sealed words",
                  self.session_id, reason, spent is not None and result is spent[1],
                  0.0 if job.audio is None else job.audio.size / SAMPLE_RATE, len(job.sealed))
        segment = self.session.apply_final(job, result)
        if self.final_hook is not None:
            segment = await self.final_hook(segment)
        await self.emit(FinalEvent(segment, from_finalize))

    async def _prefinal_result(self, task: asyncio.Task[DecodeResult | None]) -> DecodeResult | None:
        try:
            return await task
        except asyncio.CancelledError:
            if self._control is asyncio.current_task() and self._control.cancelling():
                raise
            return None
        except Exception:
            log.exception("speculative final decode failed in session %s", self.session_id)
            return None

    def _harvest(self) -> None:
        """Seal a finished speculative decode once speech has resumed after its pause."""
        if self._prefinal is None or not self._prefinal[1].done():
            return
        job, task = self._prefinal
        result = None if task.cancelled() or task.exception() is not None else task.result()
        if result is None or not self.session.prefinal_current(job) or self.session.seal(job, result):
            self._prefinal = None

    async def _settle_prefinal(self) -> tuple[DecodeJob, DecodeResult] | None:
        """Before a final: seal or keep the speculative decode (waiting for it, first in line, if it can serve)."""
        if self._prefinal is None:
            return None
        job, task = self._prefinal
        if not self.session.prefinal_current(job):
            task.cancel()
            self._prefinal = None
            return None
        self.scheduler.promote(PREFINAL_KEY.format(self.session_id))
        result = await self._prefinal_result(task)
        self._prefinal = None
        if result is None or self.session.seal(job, result, final=True):
            return None
        return job, result  # no speech after its pause: the final may reuse it whole

    def _start_prefinal(self, job: DecodeJob) -> None:
        if self._prefinal is not None:
            self._prefinal[1].cancel()  # superseded before it could be sealed; a running decode finishes unused
        key = PREFINAL_KEY.format(self.session_id)
        request = job.request(self.session.options, greedy=self.decoder.config.greedy_speculative)
        task = asyncio.create_task(self.scheduler.run_partial(key, self.decoder, request, droppable=False))
        task.add_done_callback(lambda _: self._wake.set())  # so the control loop harvests it
        self._prefinal = (job, task)

    async def _partial(self, job: DecodeJob) -> None:
        try:
            request = job.request(self.session.options, greedy=False)
            result = await self.scheduler.run_partial(self.session_id, self.decoder, request)
        except asyncio.CancelledError:
            self.session.apply_partial(job, None)
            raise
        except Exception:
            log.exception("partial decode failed in session %s", self.session_id)
            result = None
        text = self.session.apply_partial(job, result)
        if text is not None:
            await self.emit(PartialEvent(text))
        self._wake.set()  # more audio may have arrived meanwhile

    async def _run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while not self._commands.empty():
                    command, upto = self._commands.get_nowait()
                    if command == "finalize":
                        await self._final("finalize", from_finalize=True, upto=upto)
                    else:
                        if self.session.auto_final_reason() or self.session.has_pending_speech:
                            await self._final("close_stream", from_finalize=False)
                        empty = FinalSegment([], self.session.language, "close_stream", 0.0, 0.0)
                        await self.emit(FinalEvent(empty, from_finalize=False, is_last=True))
                        self.closed.set()
                        return
                reason = self.session.auto_final_reason()
                if reason:
                    await self._final(reason, from_finalize=False)
                    self._wake.set()
                    continue
                self._harvest()
                prefinal = self.session.prefinal_job()
                if prefinal is not None:
                    self._start_prefinal(prefinal)
                # Partials are shed first: none while decodes wait, spaced out as sessions add up.
                job = None if self.scheduler.behind() else self.session.partial_job(self.scheduler.partial_spacing())
                if job is not None:
                    task = asyncio.create_task(self._partial(job))
                    self._partials.add(task)
                    task.add_done_callback(self._partials.discard)
        finally:
            self.closed.set()
