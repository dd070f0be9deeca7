#!/usr/bin/env python
"""Ray Serve backend figures, one run side by side: pre-recorded throughput with 1 vs 2 pulse-pro replicas
(1 CPU each) against the local backend, a replica SIGKILLed during a load run (accepted async jobs lost, sync
requests failed), where the CPU went (per process group), and the bare model on 1 vs 2 pinned cores.

Every server is a real `pulse-server serve` process on 127.0.0.1 (`--backend local` or `--backend ray` with a
2-CPU Ray started by the CLI); requests are sync `POST /waves/v1/stt/` of short `asr_en` clips with
`--concurrency` clients. pulse-pro runs 1 CTranslate2 thread, 1 worker and 1-thread OpenMP/BLAS pools per
replica (and in the local server), so the local backend is the 1-replica baseline; `--pin` (default) binds each
replica to its own core (`serve.models.pulse-pro.pin_cpus`). Run it under the CPU lock:
`flock /work/coord/cpu.lock .venv/bin/python scripts/bench_ray_serve.py --requests 96 --concurrency 4 --jobs 24`.
Writes the `ray_serve` section of docs/benchmarks.md unless --no-write.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.benchlib import DATA, REPO, cpu_description, machine, manifest, write_section  # noqa: E402
from scripts.ray_serve_cpu import (  # noqa: E402
    CLIENT,
    OTHER,
    REPLICAS,
    SERVE_PATH,
    SERVER,
    bare_ceiling,
    cpu_between,
    snapshot,
)
from server.serve_config import THREAD_ENV_VARS  # noqa: E402
from tests.helpers import start_server  # noqa: E402
from tests.support.loopback import WebhookReceiver, wait_until  # noqa: E402
from tests.support.ray_loopback import start_ray_server  # noqa: E402

SECTION = "ray_serve"
SECRET = "bench-ray-secret"
STAGES = ("diarization", "gender", "emotion", "redaction")


def clips(count: int) -> list[tuple[bytes, float]]:
    rows = sorted(manifest("asr_en.jsonl"), key=lambda r: r["duration"])[:12]
    audio = [((DATA / r["audio"]).read_bytes(), float(r["duration"])) for r in rows]
    return [audio[i % len(audio)] for i in range(count)]


def bench_config(tmp: Path, replicas: int, max_ongoing: int, pin: bool = False) -> Path:
    config = yaml.safe_load((REPO / "configs" / "ray.yaml").read_text())
    config["models"]["pulse-pro"].update(cpu_threads=1, num_workers=1)
    # One request per decode: with cross-request window batching the local server decodes all 4 clients'
    # requests together while a Serve replica gets max_ongoing_requests of them, so "1 worker" and
    # "1 replica" would not be the same work (measured: local +43 % faster with batch_size 8).
    config["models"]["pulse-pro"]["batch"]["batch_size"] = 1
    for stage in STAGES:  # plain ASR throughput: the stages stay unloaded
        config["stages"].setdefault(stage, {})["enabled"] = False
    config["jobs"] = {
        "webhook": {"base_delay_s": 0.05, "max_delay_s": 0.5},
        "worker": {"poll_interval_s": 0.1},
        "fetch": {"allow": ["127.0.0.1/32"]},
    }
    serve = config["serve"]
    serve["num_cpus"] = 2
    serve["ingress"]["num_cpus"] = 0
    serve["stages"]["num_cpus"] = 0
    serve["models"]["pulse"]["num_cpus"] = 0
    serve["models"]["pulse-pro"].update(
        num_cpus=1, threads=1, pin_cpus=pin, num_replicas=replicas, max_ongoing_requests=max_ongoing
    )
    path = tmp / f"bench-{replicas}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass
class LoadRun:
    requests: int = 0
    ok: int = 0
    failed: Counter[int] = field(default_factory=Counter)
    audio_s: float = 0.0
    wall_s: float = 0.0
    # Server-reported decode time (metadata.processing_time_ms) summed: busy / wall = decodes running at once.
    busy_s: float = 0.0
    # CPU seconds per process group during the run (scripts/ray_serve_cpu.py).
    cpu: Counter[str] = field(default_factory=Counter)

    @property
    def per_s(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0


def load(base_url: str, auth: dict[str, str], work: list[tuple[bytes, float]], concurrency: int) -> LoadRun:
    run = LoadRun(requests=len(work))
    lock = threading.Lock()

    def one(item: tuple[bytes, float]) -> None:
        busy_ms = 0.0
        try:
            response = httpx.post(
                f"{base_url}/waves/v1/stt/",
                params={"model": "pulse-pro", "language": "en"},
                content=item[0],
                headers={**auth, "Content-Type": "application/octet-stream"},
                timeout=600,
            )
            status = response.status_code
            if status == 200:
                busy_ms = float(response.json().get("metadata", {}).get("processing_time_ms", 0.0))
        except httpx.HTTPError:
            status = 0
        with lock:
            if status == 200:
                run.ok += 1
                run.audio_s += item[1]
                run.busy_s += busy_ms / 1000
            else:
                run.failed[status] += 1

    before = snapshot()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, work))
    run.wall_s = time.perf_counter() - started
    run.cpu = cpu_between(before, snapshot())
    return run


def local_run(tmp: Path, work: list[tuple[bytes, float]], concurrency: int, max_ongoing: int, tag: str) -> LoadRun:
    config = bench_config(tmp, 1, max_ongoing)
    env = {"PULSE_DATA_DIR": str(tmp / f"local-{tag}"), **{name: "1" for name in THREAD_ENV_VARS}}
    local = start_server(config, tmp / f"local-{tag}.log", env=env)
    try:
        load(local.base_url, local.auth, work[:4], 2)  # warm-up
        return load(local.base_url, local.auth, work, concurrency)
    finally:
        local.stop()


def replica_pids() -> list[int]:
    """Worker processes of the pulse-pro deployment (Ray names them `ray::ServeReplica:<app>:<deployment>`)."""
    out = subprocess.run(["pgrep", "-f", "ServeReplica:pulse:model-pulse-pro"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def kill_run(server: Any, work: list[tuple[bytes, float]], jobs: int, concurrency: int) -> dict[str, Any]:
    """Sync load plus async jobs; one pulse-pro replica's process is SIGKILLed a few seconds in."""
    with WebhookReceiver(SECRET) as receiver:
        accepted: list[str] = []
        for data, _ in work[:jobs]:
            response = httpx.post(
                f"{server.base_url}/waves/v1/stt/",
                params={"model": "pulse-pro", "language": "en", "webhook_url": receiver.url},
                content=data,
                headers={**server.auth, "Content-Type": "application/octet-stream"},
                timeout=60,
            )
            if response.status_code == 200:
                accepted.append(response.json()["request_id"])
        victims = replica_pids()
        result: dict[str, Any] = {"replicas_before": len(victims)}

        def killer() -> None:
            time.sleep(3)
            result["killed_pid"] = victims[0]
            os.kill(victims[0], signal.SIGKILL)

        thread = threading.Thread(target=killer)
        thread.start()
        sync = load(server.base_url, server.auth, work, concurrency)
        thread.join()
        wait_until(lambda: set(receiver.delivered()) >= set(accepted), timeout_s=900, step_s=0.5)
        wait_until(lambda: False, timeout_s=2)
        delivered = receiver.delivered()
    result.update(
        sync=sync,
        accepted=len(accepted),
        delivered=sum(1 for r in accepted if delivered[r] >= 1),
        duplicates=sum(1 for r in accepted if delivered[r] > 1),
        replicas_after=len(replica_pids()),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=12, help="async jobs accepted before the kill run")
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True, help="pin replicas to cores")
    parser.add_argument("--bare", type=int, default=24, help="clips per process for the bare-model ceiling (0 = skip)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = clips(args.requests)
    load_before = os.getloadavg()
    runs: dict[str, LoadRun] = {}
    bare: tuple[float, float] | None = None
    with tempfile.TemporaryDirectory(prefix="pulse-bench-ray-") as tmp_name:
        tmp = Path(tmp_name)
        max_ongoing = max(1, args.concurrency // 2)
        if args.bare:
            config, audio = bench_config(tmp, 1, max_ongoing), [a for a, _ in work[: args.bare]]
            bare = tuple(bare_ceiling(config, REPO / ".cache", audio, n) for n in (1, 2))  # type: ignore[assignment]
        runs["local, 1 worker (first)"] = local_run(tmp, work, args.concurrency, max_ongoing, "first")
        for replicas in (1, 2):
            out = tmp / f"ray{replicas}"
            out.mkdir()
            env = {"PULSE_WEBHOOK_SECRET": SECRET, "PULSE_DATA_DIR": str(out / "data")}
            server = start_ray_server(bench_config(tmp, replicas, max_ongoing, args.pin), out, env)
            try:
                load(server.base_url, server.auth, work[:4], 2)
                runs[f"Ray Serve, {replicas} replica(s)"] = load(server.base_url, server.auth, work, args.concurrency)
                if replicas == 2:
                    killed = kill_run(server, work, args.jobs, args.concurrency)
            finally:
                server.stop()
        # The local baseline is measured before and after, so drift from anything else shows.
        runs["local, 1 worker (last)"] = local_run(tmp, work, args.concurrency, max_ongoing, "last")
    text = report(runs, killed, args, max_ongoing, bare, load_before)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


def command(args: argparse.Namespace) -> str:
    return (
        f"flock /work/coord/cpu.lock .venv/bin/python scripts/bench_ray_serve.py --requests {args.requests} "
        f"--concurrency {args.concurrency} --jobs {args.jobs}"
        + ("" if args.pin else " --no-pin")
        + ("" if args.bare == 24 else f" --bare {args.bare}")
    )


def cpu_table(runs: dict[str, LoadRun]) -> str:
    groups = sorted({g for r in runs.values() for g, s in r.cpu.items() if s / max(r.ok, 1) >= 0.005})
    groups = [g for g in groups if g not in (CLIENT, OTHER)] + [CLIENT, OTHER]
    head = "| CPU s per request | " + " | ".join(runs) + " |\n|---|" + "---|" * len(runs)
    lines = [
        f"| {g} | " + " | ".join(f"{r.cpu[g] / max(r.ok, 1):.3f}" for r in runs.values()) + " |" for g in groups
    ]
    total = "| **all processes** (cores busy) | " + " | ".join(
        f"{sum(r.cpu.values()) / max(r.ok, 1):.3f} ({sum(r.cpu.values()) / r.wall_s:.2f})" for r in runs.values()
    ) + " |"
    return "\n".join([head, *lines, total])


def report(
    runs: dict[str, LoadRun],
    killed: dict[str, Any],
    args: argparse.Namespace,
    max_ongoing: int,
    bare: tuple[float, float] | None,
    load_before: tuple[float, float, float],
) -> str:
    rows = "\n".join(
        f"| {name} | {r.ok}/{r.requests} | {r.wall_s:.1f} | {r.per_s:.2f} | {r.audio_s / r.wall_s:.1f} "
        f"| {r.busy_s / r.ok:.2f} | {r.busy_s / r.wall_s:.2f} |"
        for name, r in runs.items()
    )
    fastest = max((runs[k] for k in ("local, 1 worker (first)", "local, 1 worker (last)")), key=lambda r: r.per_s)
    local = fastest.per_s
    one, two = (runs[k].per_s for k in ("Ray Serve, 1 replica(s)", "Ray Serve, 2 replica(s)"))
    serve1 = runs["Ray Serve, 1 replica(s)"]
    replica_cpu = serve1.cpu[REPLICAS] / serve1.ok
    outside = sum(serve1.cpu[g] for g in SERVE_PATH) / serve1.ok
    sync: LoadRun = killed["sync"]
    pinned = "each replica pinned to its own core (`pin_cpus: true`)" if args.pin else "replicas not pinned"
    ceiling = (
        f"- Bare model, no HTTP and no Ray (`scripts/ray_serve_cpu.py`: {args.bare} clips per process, each process "
        f"pinned to one core, 1 thread): 1 process {bare[0]:.2f} requests/s, 2 processes {bare[1]:.2f} requests/s = "
        f"**{bare[1] / bare[0]:.2f}×**: the most 2 replicas can gain over 1 on these two cores.\n"
        if bare
        else ""
    )
    return f"""## Ray Serve backend (`scripts/bench_ray_serve.py`)

Machine: {machine()}; CPU: {cpu_description()} (a KVM guest: the slower kind for CTranslate2 int8).
Run under the shared CPU lock (`{command(args)}`); load average when it started
{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} (other developers' short test runs are not
under the lock: the "everything else" row below shows how much CPU they took during each run).
{args.requests} sync pre-recorded pulse-pro requests (12 shortest `asr_en` clips, cycled) with {args.concurrency}
concurrent clients; pulse-pro runs 1 CTranslate2 thread, 1 worker and 1-thread OpenMP/BLAS pools per replica
(1 CPU each in Ray, {pinned}) and in the local server, and decodes one request at a time (`batch.batch_size: 1`:
with cross-request batching the local server decodes the 4 clients' requests together while a replica gets
`max_ongoing_requests` of them, which is not the same work); stages off.

| backend | ok | wall s | requests/s | audio s per s | decode s per request | decodes at once |
|---|---|---|---|---|---|---|
{rows}

- 2 replicas vs 1: **{two / one:.2f}×** (goal ≥ 1.7×). Serve at 1 replica vs the faster local run:
  **{(local / one - 1) * 100:+.1f} %** overhead (goal ≤ 10 %). "decode s per request" is the server-reported
  processing time; "decodes at once" = decode time / wall time, i.e. how many replicas were really busy.
  Per request at 1 replica, the pulse-pro replica used {replica_cpu:.2f} CPU s on its core against
  {fastest.cpu[SERVER] / fastest.ok:.2f} for the whole local server (decode and HTTP); the Serve path outside it
  (Ray system, controller, proxy, ingress) took {outside:.2f} CPU s more, on the other core.
{ceiling}- Replica killed during load (2 replicas, max_ongoing_requests {max_ongoing} per replica): {killed["accepted"]} async jobs
  accepted before the run, {killed["delivered"]} delivered, {killed["duplicates"]} delivered twice, lost
  {killed["accepted"] - killed["delivered"]}; sync requests: {sync.ok}/{sync.requests} ok, failed {dict(sync.failed)}
  (bound: the killed replica's in-flight requests ≤ {max_ongoing}). pulse-pro replica processes before/after:
  {killed["replicas_before"]}/{killed["replicas_after"]} (Serve restarts the killed one).

Where the CPU went during each load run (CPU seconds per successful request, by process group; from
`/proc` via psutil, so a process that ended mid-run — the killed replica — is not counted):

{cpu_table(runs)}
"""


if __name__ == "__main__":
    main()
