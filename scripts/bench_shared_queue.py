#!/usr/bin/env python
"""Two real server processes share one PostgreSQL: N async jobs (real pulse-pro transcriptions of short clips)
submitted to both alternately must each be delivered to the webhook exactly once (counted).

Starts its own PostgreSQL (Debian's `postgresql` package, default durability) in a temp dir and two
`pulse-server serve` processes with the same `PULSE_DATABASE_URL`, data dir (shared audio) and webhook secret.
Writes the `shared_queue` section of docs/benchmarks.md unless `--no-write`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.benchlib import DATA, REPO, machine, manifest, write_section  # noqa: E402
from tests.helpers import ServerProcess, start_server  # noqa: E402
from tests.pg_server import start_postgres  # noqa: E402
from tests.support.loopback import WebhookReceiver, wait_until  # noqa: E402

SECTION = "shared_queue"
SECRET = "shared-queue-secret"


@dataclass
class SharedQueueRun:
    jobs: int
    accepted_by: Counter[int]
    deliveries: Counter[str]
    statuses: Counter[str]
    submit_s: float
    drain_s: float

    @property
    def exactly_once(self) -> bool:
        return len(self.deliveries) == self.jobs and set(self.deliveries.values()) == {1}


def short_clips(count: int) -> list[bytes]:
    rows = sorted(manifest("asr_en.jsonl"), key=lambda r: r["duration"])[:10]
    audio = [(DATA / r["audio"]).read_bytes() for r in rows]
    return [audio[i % len(audio)] for i in range(count)]


def server_config(tmp: Path) -> Path:
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["jobs"] = {
        "webhook": {"base_delay_s": 0.05, "max_delay_s": 0.5},
        "worker": {"poll_interval_s": 0.1, "lease_s": 30, "lease_renew_s": 5},
        "fetch": {"allow": ["127.0.0.1/32"]},
    }
    path = tmp / "shared.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start_replicas(tmp: Path, database_url: str) -> list[ServerProcess]:
    env = {"PULSE_DATABASE_URL": database_url, "PULSE_WEBHOOK_SECRET": SECRET, "PULSE_DATA_DIR": str(tmp / "shared")}
    config = server_config(tmp)
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda n: start_server(config, tmp / f"replica{n}.log", env=env, timeout=300), (0, 1)))


def run(n_jobs: int, tmp: Path, drain_timeout_s: float = 900) -> SharedQueueRun:
    """Everything is started here and stopped before returning."""
    postgres = start_postgres(durable=True)
    replicas: list[ServerProcess] = []
    try:
        replicas = start_replicas(tmp, postgres.fresh_database())
        clips = short_clips(n_jobs)
        accepted_by: Counter[int] = Counter()
        ids: list[str] = []
        lock = threading.Lock()
        with WebhookReceiver(SECRET) as receiver:
            began = time.perf_counter()

            def submit(n: int) -> None:
                replica = replicas[n % 2]
                response = httpx.post(
                    f"{replica.base_url}/waves/v1/stt/",
                    params={"model": "pulse-pro", "language": "en", "webhook_url": receiver.url},
                    content=clips[n],
                    headers={**replica.auth, "Content-Type": "application/octet-stream"},
                    timeout=60,
                )
                response.raise_for_status()
                with lock:
                    ids.append(response.json()["request_id"])
                    accepted_by[n % 2] += 1

            with ThreadPoolExecutor(4) as pool:
                list(pool.map(submit, range(n_jobs)))
            submitted = time.perf_counter()
            wait_until(lambda: set(receiver.delivered()) >= set(ids), timeout_s=drain_timeout_s, step_s=0.2)
            drained = time.perf_counter()
            wait_until(lambda: False, timeout_s=2)  # room for a duplicate to show up
            deliveries = receiver.delivered()
        statuses: Counter[str] = Counter()
        for n, request_id in enumerate(ids):
            replica = replicas[n % 2]  # either replica answers for any job
            status = httpx.get(f"{replica.base_url}/waves/v1/stt/jobs/{request_id}", headers=replica.auth).json()
            statuses[status["status"]] += 1
        return SharedQueueRun(n_jobs, accepted_by, deliveries, statuses, submitted - began, drained - submitted)
    finally:
        for replica in replicas:
            replica.stop()
        postgres.stop()


def report(result: SharedQueueRun, command: str) -> str:
    duplicates = sum(1 for c in result.deliveries.values() if c > 1)
    return f"""## Two server processes, one PostgreSQL queue (`scripts/bench_shared_queue.py`)

Machine: {machine()}; shared with other developers' jobs while it ran, so times are noisy.
Two `pulse-server serve` processes (embedded default config, 1 job worker each) share one PostgreSQL 15
(`PULSE_DATABASE_URL`, started by the script with default durability) and one data dir (accepted audio).
{result.jobs} async jobs (real pulse-pro transcriptions of the 10 shortest `asr_en` clips, cycled) were
submitted to the two processes alternately; a webhook receiver on 127.0.0.1 counted callbacks.

| jobs | accepted by A / B | delivered | delivered more than once | missing | final status | submit s | drain s |
|---|---|---|---|---|---|---|---|
| {result.jobs} | {result.accepted_by[0]} / {result.accepted_by[1]} | {len(result.deliveries)} | {duplicates} | {result.jobs - len(result.deliveries)} | {dict(result.statuses)} | {result.submit_s:.1f} | {result.drain_s:.1f} |

Exactly once: **{"yes" if result.exactly_once else "NO"}**. Command: `{command}`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-shared-queue-") as tmp:
        result = run(args.jobs, Path(tmp))
    text = report(result, f".venv/bin/python scripts/bench_shared_queue.py --jobs {args.jobs}")
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    sys.exit(0 if result.exactly_once else 1)


if __name__ == "__main__":
    main()
