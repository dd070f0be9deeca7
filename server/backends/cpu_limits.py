"""Hold a Ray Serve replica to the CPUs it reserved: thread pools sized to its share, optionally pinned cores.

Ray's `num_cpus` is bookkeeping for the scheduler, not a limit: a replica given 1 CPU on an idle 2-core node
would otherwise run on both (CTranslate2, OpenMP/BLAS and torch pools sized to the node). The thread caps of
the environment are set by `DeploymentConfig.serve_options()` when the process starts; this module caps the
pools that are sized in code and, with `pin_cpus`, binds the whole process to cores no other pinned replica
on the node holds.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import IO

from models.config import ModelConfig

log = logging.getLogger(__name__)

# One lock file per core; a replica holds its cores' locks for its lifetime, the kernel drops them on exit
# (also on SIGKILL), so a restarted replica can claim the cores of the one it replaces.
PIN_DIR = Path(tempfile.gettempdir()) / "pulse-cpu-pins"
_held: list[IO[bytes]] = []


def model_threads(config: ModelConfig, threads: int) -> ModelConfig:
    """The model with CTranslate2 pools fitted to `threads` cores: cpu_threads × num_workers ≤ threads."""
    workers = min(config.num_workers, threads)
    cpu_threads = max(1, min(config.cpu_threads, threads // workers))
    return config.model_copy(update={"cpu_threads": cpu_threads, "num_workers": workers})


def limit_torch(threads: int) -> None:
    """torch's intra-op pool, when this process has torch loaded (the speaker stages)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def pin_process(cores: int) -> list[int]:
    """Bind every thread of this process (and threads it starts later) to `cores` free cores of the node.

    Returns the cores, or [] when fewer than `cores` are free (the replica then runs unpinned; logged).
    """
    PIN_DIR.mkdir(exist_ok=True)
    claimed: list[tuple[int, IO[bytes]]] = []
    for core in sorted(os.sched_getaffinity(0)):
        if len(claimed) == cores:
            break
        handle = (PIN_DIR / f"cpu{core}.lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        claimed.append((core, handle))
    if len(claimed) < cores:
        for _, handle in claimed:
            handle.close()
        log.warning("pin_cpus: fewer than %d unclaimed cores on this node; the replica runs unpinned", cores)
        return []
    chosen = {core for core, _ in claimed}
    _held.extend(handle for _, handle in claimed)
    # sched_setaffinity binds one thread; Ray's worker threads already exist, so each is bound.
    for task in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(task), chosen)
        except (ProcessLookupError, PermissionError):
            pass
    log.info("pinned to cores %s", sorted(chosen))
    return sorted(chosen)
