"""Bounded work queue per model: inference runs on worker threads, never on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from models.priority import lower_thread_priority

T = TypeVar("T")


class PoolFull(RuntimeError):
    """Every worker is busy and the waiting line is full; the caller should retry later."""

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(f"{name} is at capacity")
        self.retry_after = retry_after


class InferencePool:
    """`workers` jobs run at once, `max_queue` more may wait; beyond that `run` raises PoolFull.

    Each model has its own pool, so a long `pulse-pro` file never blocks `pulse` callers,
    and nothing here holds a global lock.
    """

    def __init__(self, name: str, workers: int, max_queue: int, retry_after: int = 2, nice: int = 0) -> None:
        self.name = name
        self.capacity = workers + max_queue
        self.retry_after = retry_after
        # Worker threads run at niceness `nice` (pre-recorded work yields the CPU to live sessions).
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"infer-{name}",
                                            initializer=lower_thread_priority, initargs=(nice,))
        self._admitted = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    async def run(self, fn: Callable[[], T]) -> T:
        if self._admitted >= self.capacity:
            raise PoolFull(self.name, self.retry_after)
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn)
        finally:
            self._admitted -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
