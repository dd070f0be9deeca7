"""Batched decode scheduling across live sessions: finals first, decodes due together run as one batch.

Queues are bounded by construction: each session has at most one waiting partial (a newer one
replaces it), one speculative final, and awaits its own final before asking for another, so nothing
grows with load. An idle worker waits up to `gather_ms` for more requests, then takes the oldest
final (else the oldest fresh partial) and every queued request that can share its CTranslate2 call
(same decoder, same beam size, similar encoder window), up to `max_batch`. Finals keep their beam
search under load and speculative final decodes go before partials; partials are what gets shed:
stale ones are dropped, and `behind` tells sessions to stop asking for new ones while decodes wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from models.audio import SAMPLE_RATE
from models.pause_gate import PauseGate
from models.streaming.config import LiveServerConfig
from models.streaming.decoder import DecodeRequest, DecodeResult, LiveDecoder

log = logging.getLogger(__name__)
PARTIAL_COST_WEIGHT = 0.2  # weight of the newest call in the running mean of a partial's decode time


@dataclass
class _Job:
    key: str
    decoder: LiveDecoder
    request: DecodeRequest
    future: asyncio.Future[DecodeResult | None]
    queued_at: float
    final: bool
    droppable: bool = False  # a stale partial may be dropped; speculative final decodes never are

    @property
    def beam(self) -> int:
        return self.decoder.beam_size(self.request)

    @property
    def window(self) -> int:
        return self.decoder.window_frames(self.request.audio.size, self.request.final)


@dataclass
class SchedulerStats:
    finals_run: int = 0
    partials_run: int = 0
    partials_dropped: int = 0
    batches_run: int = 0
    # Wall time the decode workers spent in batched calls, and the audio those calls decoded.
    busy_seconds: float = 0.0
    final_audio_seconds: float = 0.0
    partial_audio_seconds: float = 0.0


class DecodeScheduler:
    """Runs batched decodes on `decode_workers` threads; every public method is called from the event loop."""

    def __init__(self, config: LiveServerConfig, pause_gate: PauseGate | None = None) -> None:
        self.config = config
        # Stops pre-recorded decode processes while a final (or a speculative final decode) runs.
        self._pause_gate = pause_gate
        self._executor = ThreadPoolExecutor(max_workers=config.decode_workers, thread_name_prefix="live-decode")
        self._finals: deque[_Job] = deque()
        self._partials: OrderedDict[str, _Job] = OrderedDict()
        self._running = 0
        self._gather: asyncio.TimerHandle | None = None
        self.stats = SchedulerStats()
        self.sessions = 0  # open sessions sharing these workers (kept by the runtime)
        self._partial_row_seconds = 0.0  # running mean of the decode time one partial takes in its call

    def partial_spacing(self) -> float:
        """Seconds of audio between one session's partials so that all sessions' partials together keep
        to `partial_share` of the workers' time, at the cost partials measured so far on this machine."""
        capacity = self.config.partial_share * self.config.decode_workers
        return self.sessions * self._partial_row_seconds / capacity if capacity > 0 else float("inf")

    @property
    def queued(self) -> int:
        return len(self._finals) + len(self._partials)

    def behind(self) -> bool:
        """Some queued decode has waited longer than `shed_partials_after_seconds`: the decoder is behind
        real time, so sessions should not ask for new partials until the queue drains."""
        limit = time.monotonic() - self.config.shed_partials_after_seconds
        waiting = [*self._finals, *self._partials.values()]
        return any(job.queued_at < limit for job in waiting if not job.future.done())

    async def run_final(self, key: str, decoder: LiveDecoder, request: DecodeRequest) -> DecodeResult:
        future: asyncio.Future[DecodeResult | None] = asyncio.get_running_loop().create_future()
        self._finals.append(_Job(key, decoder, request, future, time.monotonic(), final=True))
        self._pump()
        result = await future
        return result if result is not None else DecodeResult(language=request.language)

    async def run_partial(
        self, key: str, decoder: LiveDecoder, request: DecodeRequest, droppable: bool = True
    ) -> DecodeResult | None:
        """The result, or None when the request was superseded or (`droppable`) went stale before a worker was free."""
        future: asyncio.Future[DecodeResult | None] = asyncio.get_running_loop().create_future()
        old = self._partials.pop(key, None)
        if old is not None and not old.future.done():
            old.future.set_result(None)
            self.stats.partials_dropped += 1
        self._partials[key] = _Job(key, decoder, request, future, time.monotonic(), final=False, droppable=droppable)
        self._pump()
        return await future

    def promote(self, key: str) -> None:
        """Move a waiting partial-lane job into the finals lane (a final now waits on it)."""
        job = self._partials.pop(key, None)
        if job is not None and not job.future.done():
            job.final = True
            self._finals.append(job)
            self._pump()

    def drop_session(self, key: str) -> None:
        """Forget queued work of a session that went away (running work finishes and is discarded)."""
        job = self._partials.pop(key, None)
        if job is not None and not job.future.done():
            job.future.cancel()
        for job in [j for j in self._finals if j.key == key]:
            self._finals.remove(job)
            if not job.future.done():
                job.future.cancel()

    def _prune(self) -> None:
        """Keep only queued partials that still deserve a decode: none older than `partial_max_age_seconds`
        (a newer one describes the audio better), and none at all while the decoder is behind real time
        (sessions ask again once the queue drained). Speculative final decodes always stay."""
        stale = time.monotonic() - self.config.partial_max_age_seconds
        while self._finals and self._finals[0].future.done():
            self._finals.popleft()
        for key in [k for k, job in self._partials.items() if job.future.done()]:
            del self._partials[key]
        for key, job in list(self._partials.items()):
            if job.droppable and job.queued_at < stale:
                self._shed(key, job)
        if self.behind():
            for key, job in list(self._partials.items()):
                if job.droppable:
                    self._shed(key, job)

    def _shed(self, key: str, job: _Job) -> None:
        del self._partials[key]
        job.future.set_result(None)
        self.stats.partials_dropped += 1

    def _compatible(self, first: _Job, other: _Job) -> bool:
        ratio = self.config.batch_window_ratio
        return (other.decoder is first.decoder and other.beam == first.beam
                and other.window <= first.window * ratio and first.window <= other.window * ratio)

    def _next_batch(self) -> list[_Job]:
        self._prune()
        # Finals, then speculative final decodes, then partials; partials never ride along with
        # decodes a final waits on (they would lengthen the call), and at most `max_partial_batch` run at once.
        finals = [j for j in self._finals if not j.future.done()]
        speculative = [j for j in self._partials.values() if not j.droppable]
        fresh = [j for j in self._partials.values() if j.droppable][: self.config.max_partial_batch]
        waiting = finals + speculative if finals or speculative else fresh
        if not waiting:
            return []
        first = waiting[0]
        batch = [first] + [j for j in waiting[1:] if self._compatible(first, j)][: self.config.max_batch - 1]
        for job in batch:
            if job.final:
                self._finals.remove(job)
            else:
                del self._partials[job.key]
        return batch

    def _pump(self) -> None:
        """Start a batch on an idle worker, after the gather wait unless a full batch is already queued."""
        if self._running >= self.config.decode_workers or self._gather is not None:
            return
        if self.config.gather_ms > 0 and self.queued < self.config.max_batch:
            self._gather = asyncio.get_running_loop().call_later(self.config.gather_ms / 1000, self._dispatch)
            return
        self._dispatch()

    def _dispatch(self) -> None:
        if self._gather is not None:
            self._gather.cancel()
            self._gather = None
        loop = asyncio.get_running_loop()
        while self._running < self.config.decode_workers:
            batch = self._next_batch()
            if not batch:
                return
            self._running += 1
            self.stats.batches_run += 1
            self.stats.finals_run += sum(1 for j in batch if j.final)
            self.stats.partials_run += sum(1 for j in batch if not j.final)
            requests = [job.request for job in batch]
            if self._pause_gate is not None and _holds_prerecorded(batch):
                self._pause_gate.hold()
            task = loop.run_in_executor(self._executor, batch[0].decoder.decode_batch, requests)
            task.add_done_callback(lambda t, b=batch, s=time.monotonic(): self._finished(b, t, s))

    def _finished(self, batch: list[_Job], task: asyncio.Future[list[DecodeResult]], started: float) -> None:
        self._running -= 1
        if self._pause_gate is not None and _holds_prerecorded(batch):
            self._pause_gate.release()
        spent = time.monotonic() - started
        finals = sum(job.request.audio.size for job in batch if job.final) / SAMPLE_RATE
        partials = sum(job.request.audio.size for job in batch if not job.final) / SAMPLE_RATE
        self.stats.busy_seconds += spent
        if all(job.droppable for job in batch):
            per_row = spent / len(batch)
            weight = 1.0 if not self._partial_row_seconds else PARTIAL_COST_WEIGHT
            self._partial_row_seconds += weight * (per_row - self._partial_row_seconds)
        self.stats.final_audio_seconds += finals
        self.stats.partial_audio_seconds += partials
        log.debug("live batch of %d (%d final, beam %d, %.1f s final + %.1f s partial audio, window %d) in %.2f s, "
                  "oldest waited %.2f s", len(batch), sum(job.final for job in batch), batch[0].beam, finals, partials,
                  max(job.window for job in batch), spent, started - min(job.queued_at for job in batch))
        for n, job in enumerate(batch):
            if job.future.done():
                continue
            if task.cancelled():
                job.future.cancel()
            elif task.exception() is not None:
                job.future.set_exception(task.exception())  # type: ignore[arg-type]
            else:
                job.future.set_result(task.result()[n])
        self._dispatch()  # work that queued meanwhile is batched at once, no gather wait

    def shutdown(self) -> None:
        if self._gather is not None:
            self._gather.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _holds_prerecorded(batch: list[_Job]) -> bool:
    """A final, or a speculative decode a final will use, is in the batch: pre-recorded work waits for it."""
    return any(job.final or not job.droppable for job in batch)
