"""kill -9 cycles: SIGKILL a real server at random moments while async jobs are queued, running and delivered.

Every accepted job must end delivered; a job may get at most one extra callback per kill (per server life,
at most one POST); the webhook attempts in its status must cover every POST the receiver saw; a run cut
short by a kill must not count as a processing attempt (every job here ends with `attempts == 1`).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import DATA, ServerProcess, manifest
from tests.support.loopback import Hit, HookOnLoopback, LoopbackServer, Reply, wait_until
from tests.support.reliability.common import auth_headers, launch

# The model and stages the jobs here do not use: left out, so each restart is quicker. A short lease (renewed
# every 2 s) lets the restarted server take over a job the kill cut short after 10 s instead of 30 s.
FAST_START = {
    "models": {"pulse-pro": None},
    "stages": {name: {"enabled": False} for name in ("diarization", "gender", "emotion", "redaction")},
    "jobs": {"worker": {"lease_s": 10, "lease_renew_s": 2}},
}
KILL_MODES = ("random", "holding", "running")


def job_clips(count: int) -> list[Path]:
    """Short English clips (a few seconds each), so jobs finish between kills."""
    rows = sorted(manifest("asr_en.jsonl"), key=lambda r: r["duration"])
    paths = [DATA / r["audio"] for r in rows if r["duration"] >= 3][:count]
    return paths


@dataclass
class HoldingReceiver(HookOnLoopback):
    """Webhook receiver on 127.0.0.1 that records each POST on arrival and holds some 200s for a while."""

    hold_probability: float
    hold_s: float
    rng: random.Random
    arrivals: list[tuple[float, str, int]] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: LoopbackServer | None = None

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self._answer)
        # A 200 held across a kill goes to a closed socket: expected here, not worth a traceback.
        self.server.httpd.handle_error = lambda _request, _client_address: None  # type: ignore[method-assign]

    def _answer(self, hit: Hit) -> Reply:
        request_id = hit.headers.get("x-pulse-request-id", "")
        attempt = int(hit.headers.get("x-pulse-delivery-attempt", "0") or 0)
        with self.lock:
            self.arrivals.append((time.time(), request_id, attempt))
            hold = self.rng.random() < self.hold_probability
        if hold:
            self.holding.set()
            time.sleep(self.hold_s)
            self.holding.clear()
        return 200, {}, b"{}"

    def by_job(self) -> dict[str, list[tuple[float, int]]]:
        jobs: dict[str, list[tuple[float, int]]] = defaultdict(list)
        with self.lock:
            for at, request_id, attempt in self.arrivals:
                jobs[request_id].append((at, attempt))
        return jobs


@dataclass
class KillReport:
    cycles: int
    kills: int
    kill_modes: Counter[str]
    accepted: int
    lost: list[str]
    posts: int
    duplicate_posts: int
    over_one_per_life: list[str]
    untruthful: list[str]
    burned: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return self.kills == self.cycles and not (self.lost or self.over_one_per_life or self.untruthful or self.burned)

    def rows(self) -> list[tuple[str, Any]]:
        return [
            ("kill -9 cycles (server restarted after each)", f"{self.kills} of {self.cycles}"),
            ("kill moments", ", ".join(f"{k} {v}" for k, v in sorted(self.kill_modes.items()))),
            ("async jobs accepted (webhook; raw body and URL audio)", self.accepted),
            ("jobs lost", len(self.lost)),
            ("webhook POSTs received / extra (re-sent after a kill)", f"{self.posts} / {self.duplicate_posts}"),
            ("jobs with > 1 POST in one server life", len(self.over_one_per_life)),
            ("jobs whose status attempts do not cover the POSTs", len(self.untruthful)),
            ("jobs with a processing attempt burned by a kill", len(self.burned)),
            ("wall time", f"{self.seconds:.0f} s"),
        ]


def submit(server: ServerProcess, receiver: HoldingReceiver, clip: Path, files: LoopbackServer | None) -> str | None:
    """One async job (raw body, or by URL when `files` serves the clip); its request_id, None if refused."""
    params = {"model": "pulse", "language": "en", "webhook_url": receiver.url}
    try:
        if files is not None:
            response = httpx.post(
                f"{server.base_url}/waves/v1/stt/",
                params=params,
                json={"url": f"{files.base}/media/{clip.name}"},
                headers=auth_headers(server),
                timeout=30,
            )
        else:
            headers = {**auth_headers(server), "Content-Type": "application/octet-stream"}
            response = httpx.post(
                f"{server.base_url}/waves/v1/stt/", params=params, content=clip.read_bytes(), headers=headers, timeout=30
            )
    except httpx.HTTPError:
        return None  # the kill landed mid-request: never accepted
    return response.json()["request_id"] if response.status_code == 200 else None


def job_status(server: ServerProcess, request_id: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{server.base_url}/waves/v1/stt/jobs/{request_id}", headers=auth_headers(server), timeout=10)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def wait_for_moment(mode: str, rng: random.Random, receiver: HoldingReceiver, server: ServerProcess, ids: list[str]) -> None:
    if mode == "holding":
        receiver.holding.wait(timeout=15)
        time.sleep(rng.uniform(0.05, 0.3))
    elif mode == "running":

        def running() -> bool:
            return any((job_status(server, i) or {}).get("status") == "running" for i in ids[-3:])

        wait_until(running, timeout_s=15, step_s=0.05)
    else:
        time.sleep(rng.uniform(0.2, 4.0))


def sigkill(server: ServerProcess) -> float:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    return time.time()


@dataclass
class KillRun:
    workdir: Path
    cycles: int = 20
    jobs_per_cycle: int = 2  # one raw-body job and one by URL per server life (60 jobs took ~5 min in all)
    seed: int = 20261201
    modes: tuple[str, ...] = KILL_MODES
    settle_timeout_s: float = 300.0

    def run(self) -> KillReport:
        started = time.monotonic()
        rng = random.Random(self.seed)
        clips = job_clips(8)
        data_dir = self.workdir / "kill-data"
        accepted: list[str] = []
        kill_times: list[float] = []
        modes: Counter[str] = Counter()
        blobs = {c.name: c.read_bytes() for c in clips}

        def serve_file(hit: Hit) -> Reply:
            return 200, {"Content-Type": "audio/flac"}, blobs.get(hit.path.rsplit("/", 1)[-1], b"")

        with HoldingReceiver(0.5, 2.0, random.Random(self.seed + 1)) as receiver, LoopbackServer(serve_file) as files:
            for cycle in range(self.cycles):
                server = launch(self.workdir, f"kill-{cycle:02d}", overrides=FAST_START, data_dir=data_dir)
                for n in range(self.jobs_per_cycle):
                    by_url = n == self.jobs_per_cycle - 1
                    request_id = submit(server, receiver, rng.choice(clips), files if by_url else None)
                    if request_id:
                        accepted.append(request_id)
                mode = self.modes[cycle % len(self.modes)]
                wait_for_moment(mode, rng, receiver, server, accepted)
                modes[mode] += 1
                kill_times.append(sigkill(server))
            final = launch(self.workdir, "kill-final", overrides=FAST_START, data_dir=data_dir)
            try:

                def settled() -> bool:
                    return all((job_status(final, i) or {}).get("status") == "delivered" for i in accepted)

                wait_until(settled, timeout_s=self.settle_timeout_s, step_s=1.0)
                time.sleep(1.0)  # room for a duplicate to show up
                statuses = {i: job_status(final, i) for i in accepted}
            finally:
                final.stop()
            return self._report(accepted, statuses, receiver.by_job(), kill_times, modes, time.monotonic() - started)

    def _report(
        self,
        accepted: list[str],
        statuses: dict[str, dict[str, Any] | None],
        posts: dict[str, list[tuple[float, int]]],
        kill_times: list[float],
        modes: Counter[str],
        seconds: float,
    ) -> KillReport:
        lost, over, untruthful, burned = [], [], [], []
        for request_id in accepted:
            status = statuses.get(request_id)
            if not status or status.get("status") != "delivered":
                lost.append(request_id)
                continue
            arrivals = posts.get(request_id, [])
            lives = Counter(sum(1 for k in kill_times if k < at) for at, _ in arrivals)
            if any(n > 1 for n in lives.values()):
                over.append(request_id)
            counted = status["webhook"]["attempts"]
            if not len(arrivals) <= counted <= len(arrivals) + len(kill_times):
                untruthful.append(request_id)
            if status.get("attempts") != 1:
                burned.append(request_id)
        total = sum(len(posts.get(i, [])) for i in accepted)
        return KillReport(
            cycles=self.cycles,
            kills=len(kill_times),
            kill_modes=modes,
            accepted=len(accepted),
            lost=lost,
            posts=total,
            duplicate_posts=total - (len(accepted) - len(lost)),
            over_one_per_life=over,
            untruthful=untruthful,
            burned=burned,
            seconds=seconds,
        )
