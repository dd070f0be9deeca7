"""Loopback HTTP servers for the jobs tests (a webhook receiver, a file server), wait helpers, a fast jobs config."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qsl, urlsplit

import yaml

from server.jobs.config import JobsConfig
from server.jobs.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from tests.helpers import REPO


@dataclass
class Hit:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    received_at: float = field(default_factory=time.time)


Reply = tuple[int, dict[str, str], bytes]
CHUNK_BYTES = 4096
Handler = Callable[[Hit], Reply]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 whose answers come from `handler`; records every hit."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                hit = Hit(self.command, parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()}, body)
                status, headers, payload = outer.handler(hit)
                hit.status = status
                with outer.lock:
                    outer.hits.append(hit)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                chunked = headers.get("Transfer-Encoding") == "chunked"
                if not chunked:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if not chunked:
                    self.wfile.write(payload)
                    return
                for start in range(0, len(payload), CHUNK_BYTES):
                    piece = payload[start : start + CHUNK_BYTES]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class HookOnLoopback:
    """A webhook receiver answering on its own `LoopbackServer`: its URL, and `with` starts/stops it."""

    server: LoopbackServer | None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.base + "/hook"

    def __enter__(self) -> Self:
        assert self.server is not None
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.__exit__(*exc)


@dataclass
class WebhookReceiver(HookOnLoopback):
    """Counts callbacks by request_id; answers from a per-job script of statuses, then 200."""

    secret: str
    script: dict[str, list[int]] = field(default_factory=dict)
    retry_after: str | None = None
    server: LoopbackServer | None = None

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self._answer)

    def _answer(self, hit: Hit) -> Reply:
        request_id = hit.headers.get("x-pulse-request-id", "")
        planned = self.script.get(request_id)
        status = planned.pop(0) if planned else 200
        headers = {"Retry-After": self.retry_after} if self.retry_after and status in (429, 503) else {}
        return status, headers, b"{}"

    @property
    def hits(self) -> list[Hit]:
        assert self.server is not None
        with self.server.lock:
            return list(self.server.hits)

    def delivered(self) -> Counter[str]:
        """Successful (2xx) deliveries per request_id."""
        return Counter(h.headers.get("x-pulse-request-id", "") for h in self.hits if 200 <= h.status < 300)

    def signature_ok(self, hit: Hit) -> bool:
        signed = hit.query.encode() if hit.method == "GET" else hit.body
        return verify_signature(
            self.secret, hit.headers[TIMESTAMP_HEADER.lower()], signed, hit.headers[SIGNATURE_HEADER.lower()]
        )

    @staticmethod
    def query(hit: Hit) -> dict[str, str]:
        return dict(parse_qsl(hit.query, keep_blank_values=True))


def wait_until(predicate: Callable[[], bool], timeout_s: float = 20.0, step_s: float = 0.02) -> bool:
    """Bounded polling: True as soon as predicate() holds, False after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


async def async_wait_until(predicate: Callable[[], bool], timeout_s: float = 20.0, step_s: float = 0.02) -> bool:
    """Same as wait_until, without blocking the event loop the service runs on."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step_s)
    return predicate()


def fast_jobs_config(data_dir: Path, secret: str) -> JobsConfig:
    """Jobs settings for tests: loopback allowed, short retry delays and polling."""
    config = JobsConfig()
    config.store.data_dir = data_dir
    config.webhook.secret = secret
    config.webhook.base_delay_s = 0.01
    config.fetch.allow = ["127.0.0.1/32"]
    config.worker.poll_interval_s = 0.05
    return config


def jobs_yaml(tmp: Path, allow: list[str]) -> Path:
    """configs/default.yaml with fast webhook/worker timings and `allow` as the fetch allow-list."""
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["jobs"] = {
        "webhook": {"base_delay_s": 0.05, "max_delay_s": 0.5},
        "worker": {"poll_interval_s": 0.1, "lease_s": 30, "lease_renew_s": 5},
        "fetch": {"allow": allow},
    }
    path = tmp / "jobs.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
