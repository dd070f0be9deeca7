"""OS scheduling priority per thread: pre-recorded work yields the CPU to live sessions.

Linux keeps a niceness per thread, and threads inherit their creator's: a model loaded from a
thread with a raised niceness runs its CTranslate2 workers (and the compute threads they start)
at that niceness. Raising niceness needs no privilege; lowering it again would, so only threads
that do nothing else are raised.

Thread pools started before the models load do not inherit anything: numpy's OpenBLAS starts its
workers when numpy is imported, at niceness 0, and serves every thread of the process from them.
`keep_blas_on_calling_threads` stops that, so a niced request's BLAS work stays niced.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_NICE = 19


def lower_thread_priority(nice: int) -> None:
    """Raise the calling thread's niceness to `nice` (never lowers it); a no-op where unsupported."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, min(nice, MAX_NICE))
    except OSError as exc:
        log.warning("could not lower the priority of thread %s: %s", threading.current_thread().name, exc)


def call_at_priority(fn: Callable[[], T], nice: int) -> T:
    """`fn()` run on a new thread at niceness `nice`, so threads it starts (and keep) inherit it."""
    if nice <= 0:
        return fn()
    box: dict[str, object] = {}

    def run() -> None:
        lower_thread_priority(nice)
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    worker = threading.Thread(target=run, name="load-at-priority")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def keep_blas_on_calling_threads() -> None:
    """One BLAS thread for the process: every numpy BLAS call runs on the thread that makes it.

    With OpenBLAS's own pool (started at numpy's import, niceness 0, one pool for all threads), a
    pre-recorded request's mel spectrograms ran partly at niceness 0, and a live decode's BLAS call
    waited for the pool while the file's call held it (measured: a 10-minute file spent ~0.6 s of
    CPU at niceness 0 in bursts of 0.1-0.16 s; live finals beside it had a p95 tail of +0.1-0.2 s).
    The matrices here are small (80 mel filters), so one thread per call costs nothing measurable.
    """
    threadpool_limits(limits=1, user_api="blas")
