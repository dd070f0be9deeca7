"""Live finals stop pre-recorded decode processes while they decode (SIGSTOP / SIGCONT, Linux and macOS).

`hold` when a final's decode starts and `release` when it ends; while any hold is open, every registered
process (models/forward_process.py) is stopped. A stop never lasts longer than `max_hold_seconds`: then the
processes run again until the holds all end, so a file keeps moving however busy the live lane is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class PauseGate:
    """Thread-safe; `hold` and `release` are cheap (two signals at most) and never block."""

    def __init__(self, max_hold_seconds: float = 1.0) -> None:
        self.max_hold_seconds = max_hold_seconds
        self._targets: list[Callable[[], int | None]] = []
        self._lock = threading.Lock()
        self._holds = 0
        self._stopped: list[int] = []
        self._stopped_at = 0.0
        self._expired = False  # the current run of holds outlasted max_hold_seconds
        self._timer: threading.Timer | None = None
        self.pauses = 0
        self.paused_seconds = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self._targets) and self.max_hold_seconds > 0 and hasattr(signal, "SIGSTOP")

    def register(self, pid: Callable[[], int | None]) -> None:
        """A process to stop while finals decode; `pid()` gives its current id (None while it is not running)."""
        with self._lock:
            self._targets.append(pid)

    def hold(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._holds += 1
            if self._holds == 1 and not self._expired:
                self._stop()

    def release(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._holds = max(0, self._holds - 1)
            if self._holds == 0:
                self._continue()
                self._expired = False

    def close(self) -> None:
        with self._lock:
            self._continue()
            self._targets.clear()

    def _stop(self) -> None:
        pids = [pid for target in self._targets if (pid := target()) is not None]
        for pid in pids:
            with contextlib.suppress(OSError):  # it may have just exited; the forward starts another
                os.kill(pid, signal.SIGSTOP)
        self._stopped = pids
        self._stopped_at = time.monotonic()
        self.pauses += 1
        self._timer = threading.Timer(self.max_hold_seconds, self._expire, args=(self.pauses,))
        self._timer.daemon = True
        self._timer.start()

    def _continue(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._stopped:
            return
        for pid in self._stopped:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGCONT)
        self._stopped = []
        self.paused_seconds += time.monotonic() - self._stopped_at

    def _expire(self, pause: int) -> None:
        with self._lock:
            if self._stopped and pause == self.pauses:  # not a timer that lost a race with `_continue`
                log.debug("live finals held pre-recorded decodes for %.1f s; letting them run", self.max_hold_seconds)
                self._continue()
                self._expired = True
