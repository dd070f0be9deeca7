"""Shared pieces of the reliability suite: a real server under test, its resource samples, log and body checks."""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from tests.helpers import API_KEY, REPO, ServerProcess, start_server

WEBHOOK_SECRET = "reliability-webhook-secret"
# Lines that mean the server met an exception nobody handled (or logged a crash for a client's doing).
_LOG_PROBLEM = re.compile(r"Traceback \(most recent call last\)|Exception in ASGI application| ERROR ")

# Operators may keep transcripts in the request log; never for redacted requests, which is what is checked.
MAIN_CONFIG = {"jobs": {"store": {"log_transcripts": True}}}


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, recursively; a None value removes the key."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def write_config(directory: Path, overrides: dict[str, Any] | None = None) -> Path:
    """configs/default.yaml with fast job polling, loopback fetch/callbacks allowed, plus `overrides`."""
    base = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    jobs = {
        "jobs": {
            "webhook": {"base_delay_s": 0.2, "max_delay_s": 1.0, "timeout_s": 10.0},
            "worker": {"poll_interval_s": 0.1, "lease_s": 30, "lease_renew_s": 5},
            "fetch": {"allow": ["127.0.0.1/32"]},
        }
    }
    config = deep_merge(deep_merge(base, jobs), overrides or {})
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "reliability.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def launch(
    workdir: Path, name: str, *, auth: bool = True, overrides: dict[str, Any] | None = None, data_dir: Path | None = None
) -> ServerProcess:
    """A real `pulse-server serve` on loopback; its log is `workdir/<name>.log`."""
    env = {
        "PULSE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PULSE_DATA_DIR": str(data_dir or workdir / f"data-{name}"),
    }
    if not auth:
        env["PULSE_API_KEYS"] = ""
    server = start_server(write_config(workdir, overrides), workdir / f"{name}.log", env=env, timeout=240)
    if not auth:
        server.api_key = ""
    return server


def auth_headers(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.api_key or API_KEY}"}


@dataclass
class ResourceSample:
    at: float
    rss: int
    fds: int
    threads: int


@dataclass
class ResourceMonitor:
    """Samples the server process (RSS, open fds, threads) on a thread until stopped."""

    pid: int
    interval_s: float = 0.5
    samples: list[ResourceSample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> ResourceSample | None:
        try:
            proc = psutil.Process(self.pid)
            with proc.oneshot():
                return ResourceSample(time.monotonic(), proc.memory_info().rss, proc.num_fds(), proc.num_threads())
        except psutil.Error:
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            current = self.sample()
            if current is not None:
                self.samples.append(current)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> ResourceMonitor:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_rss(self) -> int:
        return max((s.rss for s in self.samples), default=0)


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def log_problems(text: str) -> list[str]:
    """Log lines that show an unhandled exception or an ERROR (client mistakes must not log as crashes)."""
    return [line for line in text.splitlines() if _LOG_PROBLEM.search(line)]


def error_shape_ok(content: bytes) -> bool:
    """A JSON error in a spec §3.6 shape: `{"error": str, ...}` (E1), or legacy E3 `{"errors": str, ...}` /
    `{"message": str}` (401 without a key); on the OpenAI-compatible routes, OpenAI's
    `{"error": {"message": str, "type": str, ...}}`."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    if isinstance(error, dict):
        return isinstance(error.get("message"), str) and isinstance(error.get("type"), str)
    return any(isinstance(body.get(k), str) for k in ("error", "errors", "message"))


def health_ok(server: ServerProcess, timeout_s: float = 10.0) -> bool:
    try:
        return httpx.get(f"{server.base_url}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def health_latency(server: ServerProcess, timeout_s: float = 30.0) -> float:
    """Seconds for one GET /health (timeout_s if it did not answer)."""
    start = time.monotonic()
    try:
        httpx.get(f"{server.base_url}/health", timeout=timeout_s)
    except httpx.HTTPError:
        return timeout_s
    return time.monotonic() - start
