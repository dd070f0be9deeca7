"""CPU accounting for `bench_ray_serve.py`: where the cores went during a load run, and what the bare model
reaches on these cores (1 vs 2 pinned processes, no HTTP, no Ray) as the ceiling for the replica ratio."""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import time
from collections import Counter
from pathlib import Path

import psutil

from server.serve_config import THREAD_ENV_VARS

REPLICAS = "pulse-pro replicas"
SERVER = "server process (local) / Ray driver"
# The Serve path outside the model replicas.
SERVE_PATH = (
    "ingress replica (FastAPI app)",
    "Serve HTTP proxy",
    "Serve controller",
    "Ray system (raylet, GCS, agents, workers)",
)
# (substring of the command line, group); the first match wins.
GROUPS = (
    ("model-pulse-pro", REPLICAS),
    ("ServeReplica:pulse:ingress", SERVE_PATH[0]),
    ("ProxyActor", SERVE_PATH[1]),
    ("ServeController", SERVE_PATH[2]),
    ("server.cli", SERVER),
    ("", SERVE_PATH[3]),
)
CLIENT = "load client (this script)"
OTHER = "everything else on the machine"


def _group(pid: int, cmdline: list[str], ours: set[int]) -> str:
    if pid == os.getpid():
        return CLIENT
    if pid not in ours:  # not started by this benchmark (other developers' processes, the OS)
        return OTHER
    text = " ".join(cmdline)
    return next((group for key, group in GROUPS if key in text), OTHER)


def snapshot() -> dict[int, tuple[str, float]]:
    """pid → (group, CPU seconds used so far) for every process that can be read."""
    ours = {p.pid for p in psutil.Process().children(recursive=True)}
    seen: dict[int, tuple[str, float]] = {}
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is None:
            continue
        seen[proc.pid] = (_group(proc.pid, proc.info["cmdline"] or [], ours), times.user + times.system)
    return seen


def cpu_between(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> Counter[str]:
    """CPU seconds per group between two snapshots (processes started in between count from zero)."""
    used: Counter[str] = Counter()
    for pid, (group, seconds) in after.items():
        used[group] += seconds - before.get(pid, (group, 0.0))[1]
    return used


def _bare_decoder(core: int, config_path: str, cache_dir: str, work: list[bytes], go: object, out: object) -> None:
    os.sched_setaffinity(0, {core})
    from models.languages import LanguagePlan
    from models.pipeline import TranscribeOptions, transcribe_file
    from models.registry import ModelRegistry
    from server.config import load_config

    config = load_config(Path(config_path))
    only = config.model_copy(update={"models": {"pulse-pro": config.models["pulse-pro"]}})
    model = ModelRegistry.load(only, Path(cache_dir)).get("pulse-pro")
    assert model is not None
    options = TranscribeOptions(language=LanguagePlan("en", "en", None))
    transcribe_file(model, io.BytesIO(work[0]), options)  # warm-up
    go.wait()  # type: ignore[attr-defined]
    started = time.perf_counter()
    for audio in work:
        transcribe_file(model, io.BytesIO(audio), options)
    out.put(time.perf_counter() - started)  # type: ignore[attr-defined]


def bare_ceiling(config_path: Path, cache_dir: Path, work: list[bytes], processes: int) -> float:
    """Requests per second of `processes` pinned processes (one core each, 1 thread) decoding `work` each."""
    ctx = mp.get_context("spawn")
    saved = {name: os.environ.get(name) for name in THREAD_ENV_VARS}
    os.environ.update({name: "1" for name in THREAD_ENV_VARS})  # children start with 1-thread pools
    go, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_bare_decoder, args=(core, str(config_path), str(cache_dir), work, go, out))
        for core in range(processes)
    ]
    try:
        for proc in procs:
            proc.start()
        # Every process has loaded and warmed up once the go event is the only thing they wait for.
        time.sleep(1)
        while any(p.is_alive() for p in procs) and not _all_waiting(procs):
            time.sleep(1)
        if any(p.exitcode not in (None, 0) for p in procs):
            raise RuntimeError("a bare decoder process failed to start")
        go.set()
        walls = [out.get(timeout=1800) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=60)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return processes * len(work) / max(walls)


def _all_waiting(procs: list[mp.process.BaseProcess]) -> bool:
    """All children idle (loaded, warmed up, blocked on the go event): near-zero CPU over a short window."""
    handles = [psutil.Process(p.pid) for p in procs if p.pid is not None]
    first = [h.cpu_times() for h in handles]
    time.sleep(0.5)
    return all(
        (b.user + b.system) - (a.user + a.system) < 0.02 for a, b in zip(first, [h.cpu_times() for h in handles], strict=True)
    )


