"""Malformed-audio corpus through `POST /waves/v1/stt/` of a real server: 200 or a 4xx JSON error, in time, never 5xx."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers import ServerProcess
from tests.support.reliability.common import ResourceMonitor, auth_headers, error_shape_ok, health_ok, log_problems, mib
from tests.support.reliability.corpus import Case

MODELS = ("pulse", "pulse-pro")


@dataclass
class UploadOutcome:
    case: str
    status: int
    seconds: float
    ok: bool
    note: str = ""


@dataclass
class UploadReport:
    outcomes: list[UploadOutcome]
    time_bound_s: float
    peak_rss: int
    start_rss: int
    alive_after: bool
    log_lines: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def server_errors(self) -> int:
        return sum(1 for o in self.outcomes if o.status >= 500 or o.status == 0)

    @property
    def ok(self) -> bool:
        return not self.failures and self.alive_after

    def rows(self) -> list[tuple[str, Any]]:
        statuses = Counter(o.status for o in self.outcomes)
        slowest = max(self.outcomes, key=lambda o: o.seconds)
        return [
            ("malformed uploads sent", len(self.outcomes)),
            ("responses by status", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))),
            ("responses ≥ 500 (or no response)", self.server_errors),
            ("4xx without a JSON error body", sum(1 for o in self.failures if o.note == "error body")),
            (f"over the {self.time_bound_s:.0f} s bound", sum(1 for o in self.failures if o.note == "slow")),
            ("slowest case", f"{slowest.case} ({slowest.status}, {slowest.seconds:.1f} s)"),
            ("server RSS at start / peak", f"{mib(self.start_rss)} / {mib(self.peak_rss)}"),
            ("/health 200 afterwards", self.alive_after),
            ("ERROR/traceback lines in the server log", len(self.log_lines)),
        ]


def send(server: ServerProcess, case: Case, model: str, time_bound_s: float) -> UploadOutcome:
    params = {"model": model, "language": "en", **case.params}
    headers = {**auth_headers(server), "Content-Type": case.content_type}
    start = time.monotonic()
    try:
        response = httpx.post(
            f"{server.base_url}/waves/v1/stt/", params=params, content=case.body, headers=headers, timeout=time_bound_s * 3
        )
    except httpx.HTTPError as exc:
        return UploadOutcome(case.name, 0, time.monotonic() - start, False, f"no response: {type(exc).__name__}")
    seconds = time.monotonic() - start
    status = response.status_code
    if status >= 500 or status < 200 or 300 <= status < 400:
        return UploadOutcome(case.name, status, seconds, False, f"status: {response.text[:200]}")
    if status >= 400 and not error_shape_ok(response.content):
        return UploadOutcome(case.name, status, seconds, False, "error body")
    if seconds > time_bound_s:
        return UploadOutcome(case.name, status, seconds, False, "slow")
    return UploadOutcome(case.name, status, seconds, True)


def model_for(index: int) -> str:
    """Every fourth case goes to `pulse`, the rest to `pulse-pro`: decoding (where malformed input breaks things)
    is the same for both, and tiny.en transcribes the ~300 cases that decode at about half the cost of base,
    which keeps the corpus inside the suite's 20-minute budget on 2 cores."""
    return MODELS[0] if index % 4 == 0 else MODELS[1]


def run_uploads(server: ServerProcess, cases: list[Case], *, time_bound_s: float = 60.0, concurrency: int = 2) -> UploadReport:
    """Every case once (`model_for` picks the model), `concurrency` at a time; RSS sampled throughout."""
    log_offset = len(server.log())
    with ResourceMonitor(server.process.pid) as monitor:
        first = monitor.sample()
        start_rss = first.rss if first else 0
        with ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(
                pool.map(lambda pair: send(server, pair[1], model_for(pair[0]), time_bound_s), enumerate(cases))
            )
    return UploadReport(
        outcomes=outcomes,
        time_bound_s=time_bound_s,
        peak_rss=monitor.peak_rss,
        start_rss=start_rss,
        alive_after=health_ok(server),
        log_lines=log_problems(server.log()[log_offset:]),
    )

