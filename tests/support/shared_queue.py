"""Two real server processes on one PostgreSQL queue: submit async jobs to both, count deliveries per job.

Shared by scripts/bench_shared_queue.py (the 100-job figure) and tests/test_pg_shared_queue.py.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.helpers import DATA, REPO, ServerProcess, manifest, start_server
from tests.support.loopback import WebhookReceiver, wait_until
from tests.support.pg_server import start_postgres

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
