"""Soak: N live sessions streaming real-time audio plus M concurrent pre-recorded requests for a fixed time,
with RSS / open fds / threads sampled; plus slow clients (slowloris headers, a body trickled at 1 byte/s)
whose cut-off time is measured while /health is probed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers import JFK, ServerProcess, load_pcm, write_wav
from tests.support.reliability.common import (
    ResourceMonitor,
    ResourceSample,
    auth_headers,
    health_latency,
    log_problems,
    mib,
)

CHUNK_S = 0.1
SLOW_CLIENT_LIMIT_S = 90.0  # the server's own limits are 30 s (limits.header_timeout_seconds, body_idle_seconds)


@dataclass
class SlowClient:
    kind: str
    cut_off_after_s: float | None  # None: still connected at the limit
    health_max_s: float
    answer: str = ""  # the server's status line when it answered before hanging up


@dataclass
class SoakReport:
    seconds: float
    live_sessions: int
    prerecorded: int
    live_done: int = 0
    requests_done: int = 0
    errors: list[str] = field(default_factory=list)
    warm: ResourceSample | None = None
    end: ResourceSample | None = None
    idle: ResourceSample | None = None
    rss_growth: float = 0.0
    slow_clients: list[SlowClient] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        grew = self.warm is None or self.idle is None or (
            self.idle.fds > self.warm.fds or self.idle.threads > self.warm.threads
        )
        held = any(c.cut_off_after_s is None for c in self.slow_clients)
        return not self.errors and self.rss_growth <= 0.10 and not grew and not self.log_lines and not held

    def rows(self) -> list[tuple[str, Any]]:
        def res(s: ResourceSample | None) -> str:
            return f"RSS {mib(s.rss)}, {s.fds} fds, {s.threads} threads" if s else "n/a"

        rows: list[tuple[str, Any]] = [
            ("duration", f"{self.seconds:.0f} s"),
            ("N live sessions (real-time audio) / M concurrent pre-recorded", f"{self.live_sessions} / {self.prerecorded}"),
            ("live sessions completed / pre-recorded requests completed", f"{self.live_done} / {self.requests_done}"),
            ("errors", len(self.errors)),
            ("after warm-up", res(self.warm)),
            ("at the end of the load", res(self.end)),
            ("idle after the load", res(self.idle)),
            ("RSS growth after warm-up (mean of the last tenth vs warm-up)", f"{self.rss_growth * 100:+.1f} %"),
            ("ERROR/traceback lines in the server log", len(self.log_lines)),
        ]
        for client in self.slow_clients:
            how = f" ({client.answer})" if client.answer else " (closed)"
            cut = f"cut off after {client.cut_off_after_s:.0f} s{how}" if client.cut_off_after_s is not None else (
                f"NOT cut off within {SLOW_CLIENT_LIMIT_S:.0f} s")
            rows.append((f"slow client: {client.kind}", f"{cut}; /health max {client.health_max_s:.2f} s meanwhile"))
        return rows


async def live_loop(server: ServerProcess, pcm: bytes, until: float, report: SoakReport) -> None:
    """One client: sessions of the clip at real time, back to back, until `until`."""
    query = "model=pulse&language=en&encoding=linear16&sample_rate=16000"
    step = int(16000 * CHUNK_S) * 2
    while time.monotonic() < until:
        try:
            async with connect(f"{server.ws_url}/waves/v1/stt/live?{query}", additional_headers=auth_headers(server),
                               max_size=None, open_timeout=30) as ws:
                finals: list[str] = []

                async def reader(ws: Any = ws, finals: list[str] = finals) -> None:
                    async for message in ws:
                        body = json.loads(message)
                        if body.get("type") == "error" or "error" in body:
                            report.errors.append(f"live error message: {message[:200]}")
                        if body.get("is_final"):
                            finals.append(body.get("transcript", ""))

                reading = asyncio.create_task(reader())
                start = time.monotonic()
                for n, offset in enumerate(range(0, len(pcm), step)):
                    await ws.send(pcm[offset : offset + step])
                    await asyncio.sleep(max(0.0, start + (n + 1) * CHUNK_S - time.monotonic()))
                await ws.send(json.dumps({"type": "close_stream"}))
                await asyncio.wait_for(reading, 60)
                if ws.close_code != 1000 or not finals:
                    report.errors.append(f"live session ended with {ws.close_code}, {len(finals)} finals")
                else:
                    report.live_done += 1
        except (InvalidStatus, ConnectionClosed, TimeoutError, OSError) as exc:
            report.errors.append(f"live: {type(exc).__name__}: {exc}"[:200])


def prerecorded_loop(server: ServerProcess, body: bytes, until: float, report: SoakReport) -> None:
    headers = {**auth_headers(server), "Content-Type": "audio/wav"}
    while time.monotonic() < until:
        try:
            response = httpx.post(f"{server.base_url}/waves/v1/stt/", params={"model": "pulse", "language": "en"},
                                  content=body, headers=headers, timeout=120)
        except httpx.HTTPError as exc:
            report.errors.append(f"pre-recorded: {type(exc).__name__}")
            continue
        if response.status_code != 200 or not response.json().get("transcription"):
            report.errors.append(f"pre-recorded: {response.status_code} {response.text[:120]}")
        else:
            report.requests_done += 1


def slow_client(server: ServerProcess, kind: str) -> SlowClient:
    """Sends one byte a second (request headers, or a body after honest headers) until the server hangs up."""
    latencies: list[float] = []
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.settimeout(1.0)
    if kind == "body trickled at 1 byte/s":
        head = (f"POST /waves/v1/stt/?model=pulse&language=en HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {server.api_key}\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\n")
        sock.sendall(head.encode())
        drip = b"R" * int(SLOW_CLIENT_LIMIT_S + 10)
    else:
        drip = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * int(SLOW_CLIENT_LIMIT_S)
    start = time.monotonic()
    cut: float | None = None
    answer = ""
    try:
        for byte in drip:
            if time.monotonic() - start > SLOW_CLIENT_LIMIT_S:
                break
            sock.sendall(bytes([byte]))
            try:
                reply = sock.recv(4096)
            except TimeoutError:
                reply = None  # nothing from the server this second: go on dripping
            if reply is not None:  # an answer (e.g. 408) or the connection closed: cut off either way
                cut = time.monotonic() - start
                answer = reply.split(b"\r\n", 1)[0].decode("latin-1")
                break
            if len(latencies) < time.monotonic() - start:
                latencies.append(health_latency(server, timeout_s=10))
    except OSError:
        cut = time.monotonic() - start
    finally:
        sock.close()
    return SlowClient(kind, cut, max(latencies, default=0.0), answer)


async def _load(server: ServerProcess, pcm: bytes, wav: bytes, until: float, n: int, m: int, report: SoakReport) -> None:
    threads = [asyncio.to_thread(prerecorded_loop, server, wav, until, report) for _ in range(m)]
    await asyncio.gather(*(live_loop(server, pcm, until, report) for _ in range(n)), *threads)


def run_soak(server: ServerProcess, workdir_wav: Any, *, seconds: float, live: int, prerecorded: int,
             slow_clients: bool = True) -> SoakReport:
    """`live` real-time sessions and `prerecorded` concurrent requests for `seconds`; warm-up is the first fifth."""
    log_offset = len(server.log())
    speech = load_pcm(JFK)
    pcm = (speech * 32767).astype("<i2").tobytes()
    wav = write_wav(speech, workdir_wav).read_bytes()
    report = SoakReport(seconds, live, prerecorded)
    start = time.monotonic()
    slow: list[SlowClient] = []
    kinds = ("slowloris headers (1 byte/s)", "body trickled at 1 byte/s") if slow_clients else ()
    slow_threads = [threading.Thread(target=lambda k=k: slow.append(slow_client(server, k)), daemon=True) for k in kinds]
    with ResourceMonitor(server.process.pid, interval_s=1.0) as monitor:
        for thread in slow_threads:
            thread.start()
        asyncio.run(_load(server, pcm, wav, start + seconds, live, prerecorded, report))
        for thread in slow_threads:
            thread.join(timeout=SLOW_CLIENT_LIMIT_S + 30)
        time.sleep(5.0)  # idle: finished sessions should have released their fds and threads
    samples = monitor.samples
    warm_at = start + seconds / 5
    warm = [s for s in samples if s.at <= warm_at][-5:] or samples[:1]
    loaded = [s for s in samples if s.at <= start + seconds]
    tail = loaded[-max(1, len(loaded) // 10):]
    if warm and tail:
        base = statistics.mean(s.rss for s in warm)
        report.rss_growth = statistics.mean(s.rss for s in tail) / base - 1
        report.warm, report.end, report.idle = warm[-1], tail[-1], samples[-1]
    report.slow_clients = slow
    report.log_lines = log_problems(server.log()[log_offset:])
    return report
