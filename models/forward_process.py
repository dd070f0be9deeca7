"""Pre-recorded windows decoded in a child process, which live finals can stop outright.

Niceness gives a long file only the CPU that live sessions leave, yet on 2 cores the finalize→final
p95 of live sessions beside a 10-minute file was still 1.16–1.46× their p95 alone while the file
decoded in the server process; with the file's decodes in another process, stopped (SIGSTOP) while
a final decodes and continued (SIGCONT) after it, it was 0.87–1.14× (docs/benchmarks.md, "Live finals
beside a file, the file in its own process"; `models/pause_gate.py` does the stopping). The child holds
its own instance of the weights; the parent keeps extracting features and sends each batch of windows
over a pipe, one call at a time.

A child that dies (OOM killer, a crash in CTranslate2) is started again and the call is retried
once, so an accepted request is not lost with it. On Linux the kernel ends the child when the thread
that started it ends: the thread that loads the registry (the server's main thread) or, for a
restart, the model's batch dispatcher; both live as long as the server.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from models.batching import DecodedSegment, WindowForward, WindowKey

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
START_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class ForwardSpec:
    """What the child loads: the same weights and thread layout as the parent's pre-recorded engine."""

    model_dir: str
    device: str
    compute_type: str
    cpu_threads: int
    generate_threads: int | None
    num_workers: int
    nice: int
    batch_encode: bool


@dataclass(frozen=True)
class _Failure:
    message: str


class ForwardProcessError(RuntimeError):
    """The child could not be started, or died twice on one call."""


class ProcessForward:
    """`WindowsForward` (models/batching.py) run by a child process; thread-safe, one call at a time."""

    def __init__(self, spec: ForwardSpec, name: str) -> None:
        self.spec = spec
        self.name = name
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")  # no fork of a process that holds OpenMP pools
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None
        self._ready = False
        self._launch()  # loads while the caller goes on; `wait_ready` (or the first call) waits for it

    def wait_ready(self) -> None:
        """Block until the child has loaded its weights; ForwardProcessError if it could not."""
        with self._lock:
            self._await_ready()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (what `PauseGate` stops and continues)."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def __call__(self, key: WindowKey, features: np.ndarray, durations: list[float]) -> list[list[DecodedSegment]]:
        with self._lock:
            self._await_ready()
            for attempt in range(2):
                try:
                    assert self._connection is not None
                    self._connection.send((key, features, durations))
                    reply = self._connection.recv()
                except (EOFError, OSError) as exc:
                    code = self._process.exitcode if self._process is not None else None
                    if attempt:
                        raise ForwardProcessError(f"{self.name}: decode process died twice (exit {code})") from exc
                    log.error("%s: decode process died (exit %s); starting it again and retrying", self.name, code)
                    self.restarts += 1
                    self._stop()
                    self._launch()
                    self._await_ready()
                    continue
                if isinstance(reply, _Failure):
                    raise ForwardProcessError(f"{self.name}: {reply.message}")
                return reply
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _launch(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=serve, args=(child, self.spec), name=f"forward-{self.name}",
                                        daemon=True)
        process.start()
        child.close()
        self._process, self._connection, self._ready = process, parent, False

    def _await_ready(self) -> None:
        if self._ready:
            return
        process, connection = self._process, self._connection
        if process is None or connection is None:
            raise ForwardProcessError(f"{self.name}: decode process closed")
        if not connection.poll(START_TIMEOUT_SECONDS):
            process.kill()
            raise ForwardProcessError(f"{self.name}: decode process did not start in {START_TIMEOUT_SECONDS:g} s")
        try:
            ready = connection.recv()
        except EOFError as exc:
            raise ForwardProcessError(f"{self.name}: decode process exited while loading ({process.exitcode})") from exc
        if isinstance(ready, _Failure):
            process.join(5)
            raise ForwardProcessError(f"{self.name}: decode process failed to load: {ready.message}")
        self._ready = True
        log.info("%s: pre-recorded decodes run in process %d", self.name, process.pid)

    def _stop(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        self._ready = False
        if process is None:
            return
        if hasattr(signal, "SIGCONT"):
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGCONT)  # a stopped child cannot read its way out
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.send(None)
            connection.close()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)


def serve(connection: Connection, spec: ForwardSpec) -> None:
    """The child's loop: load the weights, then answer one batch of windows at a time until told to stop."""
    _die_with_parent()
    if spec.nice > 0 and hasattr(os, "setpriority"):
        os.setpriority(os.PRIO_PROCESS, 0, min(19, spec.nice))  # threads started from here on inherit it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    try:
        model = _load(spec)
        # Batches of several windows generate on the encoder's threads: this process holds no other
        # OpenMP pool to throttle them (models/ct2_threads.py), and their beam search has rows enough
        # for two threads (a 10-minute file 39.9–40.1 → 37.0–37.6 s on 2 cores, the same words).
        forward = WindowForward(model, spec.batch_encode, wide=getattr(model, "encoder", None))
    except Exception as exc:  # reported to the parent, which refuses to start
        connection.send(_Failure(f"{type(exc).__name__}: {exc}"))
        return
    connection.send("ready")
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if message is None:
            return
        key, features, durations = message
        try:
            reply: Any = forward(key, features, durations)
        except Exception as exc:  # a bad batch fails its requests, not the process
            reply = _Failure(f"{type(exc).__name__}: {exc}")
        connection.send(reply)


def _load(spec: ForwardSpec) -> Any:
    from models.ct2_threads import load_local_whisper, split_threads

    def load(threads: int) -> Any:
        return load_local_whisper(spec.model_dir, spec.device, spec.compute_type, threads, spec.num_workers)

    return split_threads(load(spec.cpu_threads), load, spec.generate_threads, spec.cpu_threads, spec.device)


def _die_with_parent() -> None:
    """Linux: the kernel kills the child when the parent dies, even a parent killed with SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
