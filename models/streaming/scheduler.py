"""Fair decode scheduling across live sessions that share loaded models: finals first, stale partials dropped."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass
class _Job:
    session_id: str
    fn: Callable[[], Any]
    future: asyncio.Future[Any]
    queued_at: float


@dataclass
class SchedulerStats:
    finals_run: int = 0
    partials_run: int = 0
    partials_dropped: int = 0


class DecodeScheduler:
    """Runs decode callables on `workers` threads.

    Queues are bounded by construction: each session has at most one waiting partial (a newer
    one replaces it) and awaits its own final before asking for another, so nothing grows with
    load. Finals always go first; partials are served oldest-session-first, which is round-robin
    because a session re-enters at the back after each partial.
    """

    def __init__(self, workers: int, partial_max_age_seconds: float) -> None:
        self.workers = workers
        self.partial_max_age = partial_max_age_seconds
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="live-decode")
        self._finals: deque[_Job] = deque()
        self._partials: OrderedDict[str, _Job] = OrderedDict()
        self._running = 0
        self.stats = SchedulerStats()

    @property
    def finals_waiting(self) -> int:
        return sum(1 for job in self._finals if not job.future.done())

    @property
    def queued(self) -> int:
        return len(self._finals) + len(self._partials)

    async def run_final(self, session_id: str, fn: Callable[[], Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._finals.append(_Job(session_id, fn, future, time.monotonic()))
        self._pump()
        return await future

    async def run_partial(self, session_id: str, fn: Callable[[], Any]) -> Any | None:
        """The result, or None when the request was superseded or went stale before a worker was free."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        old = self._partials.pop(session_id, None)
        if old is not None and not old.future.done():
            old.future.set_result(None)
            self.stats.partials_dropped += 1
        self._partials[session_id] = _Job(session_id, fn, future, time.monotonic())
        self._pump()
        return await future

    def promote(self, session_id: str) -> None:
        """Move a session's waiting partial-lane job into the finals lane (a final now waits on it)."""
        job = self._partials.pop(session_id, None)
        if job is not None and not job.future.done():
            self._finals.append(job)
            self._pump()

    def drop_session(self, session_id: str) -> None:
        """Forget queued work of a session that went away (running work finishes and is discarded)."""
        job = self._partials.pop(session_id, None)
        if job is not None and not job.future.done():
            job.future.cancel()
        for job in [j for j in self._finals if j.session_id == session_id]:
            self._finals.remove(job)
            if not job.future.done():
                job.future.cancel()

    def _next(self) -> _Job | None:
        while self._finals:
            job = self._finals.popleft()
            if not job.future.done():
                self.stats.finals_run += 1
                return job
        now = time.monotonic()
        while self._partials:
            _, job = self._partials.popitem(last=False)
            if job.future.done():
                continue
            if now - job.queued_at > self.partial_max_age:
                job.future.set_result(None)
                self.stats.partials_dropped += 1
                continue
            self.stats.partials_run += 1
            return job
        return None

    def _pump(self) -> None:
        while self._running < self.workers:
            job = self._next()
            if job is None:
                return
            self._running += 1
            task = asyncio.get_running_loop().run_in_executor(self._executor, job.fn)
            task.add_done_callback(lambda t, j=job: self._finished(j, t))

    def _finished(self, job: _Job, task: asyncio.Future[Any]) -> None:
        self._running -= 1
        if not job.future.done():
            if task.cancelled():
                job.future.cancel()
            elif task.exception() is not None:
                job.future.set_exception(task.exception())  # type: ignore[arg-type]
            else:
                job.future.set_result(task.result())
        self._pump()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
