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
# The node's cores as the process that started Ray saw them, before it kept itself off the pinned ones.
NODE_CPUS_ENV = "PULSE_NODE_CPUS"
_held: list[IO[bytes]] = []


def _set_affinity(cores: set[int]) -> None:
    """sched_setaffinity binds one thread: bind every thread of this process (new ones inherit it)."""
    for task in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(task), cores)
        except (ProcessLookupError, PermissionError):
            pass


def reserve_for_replicas(cores: int) -> list[int]:
    """In the process that starts Ray, before `ray.init`: keep it (and so the Ray processes it starts, which
    inherit its affinity) off the first `cores` cores, which pinned replicas claim. Returns the cores left to
    everything else, or [] when pinned replicas need every core (then nothing is restricted)."""
    node = sorted(os.sched_getaffinity(0))
    os.environ[NODE_CPUS_ENV] = ",".join(str(core) for core in node)
    rest = node[cores:]
    if cores and rest:
        _set_affinity(set(rest))
        log.info("Ray system processes on cores %s; cores %s left to pinned replicas", rest, node[:cores])
        return rest
    return []


def node_cores_env() -> dict[str, str]:
    """The node's core list for pinned replicas' environment (set by `reserve_for_replicas`; {} when unset)."""
    listed = os.environ.get(NODE_CPUS_ENV)
    return {NODE_CPUS_ENV: listed} if listed else {}


def _node_cores() -> list[int]:
    listed = os.environ.get(NODE_CPUS_ENV, "")
    return [int(c) for c in listed.split(",") if c] or sorted(os.sched_getaffinity(0))


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
    for core in _node_cores():
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
    _set_affinity(chosen)  # Ray's worker threads already exist: each is bound
    log.info("pinned to cores %s", sorted(chosen))
    return sorted(chosen)
