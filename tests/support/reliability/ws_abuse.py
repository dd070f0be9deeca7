"""WebSocket abuse against a real server: garbage frames per encoding, odd PCM byte counts, 10 MB frames,
non-JSON and deeply nested text, control messages out of order, a client that stops reading, abrupt
disconnects mid-final, oversized handshakes. No 5xx at the upgrade, every accepted session that the client
ends properly gets a close code from the server, nothing unhandled in the log.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers import JFK, ServerProcess, load_pcm
from tests.support.reliability.common import (
    ResourceMonitor,
    auth_headers,
    health_latency,
    health_ok,
    log_problems,
    mib,
)

ENCODINGS = ("linear16", "linear32", "alaw", "mulaw", "opus", "ogg_opus")
CLOSE_WAIT_S = 60.0
HANDSHAKE_TIMEOUT_S = 15.0
Script = Callable[[ClientConnection], Awaitable[None]]


@dataclass
class WsCase:
    name: str
    params: dict[str, str]
    script: Script
    # The client ends the session properly (close_stream or nothing more to say): the server must close.
    expect_close: bool = True
    headers: dict[str, str] | None = None
    big: bool = False


@dataclass
class WsOutcome:
    case: str
    handshake: int  # 101, an HTTP status, or 0 for no answer in time
    close_code: int | None
    ok: bool
    note: str = ""


@dataclass
class WsReport:
    outcomes: list[WsOutcome]
    health_during_big_frames_s: list[float]
    start_rss: int
    peak_rss: int
    alive_after: bool
    log_lines: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[WsOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        return not self.failures and self.alive_after and not self.log_lines

    def rows(self) -> list[tuple[str, Any]]:
        handshakes = Counter(o.handshake for o in self.outcomes)
        closes = Counter(o.close_code for o in self.outcomes if o.handshake == 101)
        worst = max(self.health_during_big_frames_s, default=0.0)
        return [
            ("WebSocket abuse cases", len(self.outcomes)),
            ("handshake answers", ", ".join(f"{k}: {v}" for k, v in sorted(handshakes.items()))),
            ("5xx (or no answer) at the upgrade", sum(1 for o in self.outcomes if o.handshake >= 500 or o.handshake == 0)),
            ("close codes of accepted sessions", ", ".join(f"{k}: {v}" for k, v in sorted(closes.items(), key=str))),
            ("accepted sessions ended without a server close code", sum(1 for o in self.failures if o.note == "no close")),
            ("/health latency during 10 MB frames (max)", f"{worst:.2f} s over {len(self.health_during_big_frames_s)} probes"),
            ("server RSS at start / peak", f"{mib(self.start_rss)} / {mib(self.peak_rss)}"),
            ("/health 200 afterwards", self.alive_after),
            ("ERROR/traceback lines in the server log", len(self.log_lines)),
        ]


def speech_pcm16(seconds: float = 2.0) -> bytes:
    pcm = load_pcm(JFK)[: int(seconds * 16000)]
    return (pcm * 32767).astype("<i2").tobytes()


def text(message: Any) -> str:
    return message if isinstance(message, str) else json.dumps(message)


def frames(*items: bytes | str) -> Script:
    async def script(ws: ClientConnection) -> None:
        for item in items:
            await ws.send(item)

    return script


def abrupt(audio: bytes, delay_s: float) -> Script:
    """Audio, then `finalize`, then the TCP connection dropped without a close frame."""

    async def script(ws: ClientConnection) -> None:
        for start in range(0, len(audio), 3200):
            await ws.send(audio[start : start + 3200])
        await ws.send(text({"type": "finalize"}))
        await asyncio.sleep(delay_s)
        ws.transport.abort()

    return script


def never_reads(audio: bytes, seconds: float) -> Script:
    """Sends audio (and keep-alives, each answered with a pong) as fast as it can, never reading."""

    async def script(ws: ClientConnection) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.wait_for(ws.send(audio), 5)
            for _ in range(50):
                await asyncio.wait_for(ws.send(text({"type": "keepalive"})), 5)
        await ws.send(text({"type": "close_stream"}))

    return script


CLOSE = text({"type": "close_stream"})


def base_params(encoding: str = "linear16", rate: int = 16000) -> dict[str, str]:
    return {"model": "pulse", "language": "en", "encoding": encoding, "sample_rate": str(rate)}


def build_cases(seed: int = 1201, random_count: int = 120, big_frames: int = 3) -> list[WsCase]:
    rng = random.Random(seed)
    speech = speech_pcm16()
    cases: list[WsCase] = []
    for encoding in ENCODINGS:
        for rate in (8000, 16000):
            for size in (1, 3, 17, 1000, 4095, 8191, 65537):
                cases.append(WsCase(f"garbage-{encoding}-{rate}-{size}", base_params(encoding, rate),
                                    frames(rng.randbytes(size), rng.randbytes(size), CLOSE)))
    for encoding, width in (("linear16", 2), ("linear32", 4)):
        for n in range(10):
            cut = speech[: 2 * width * (100 + n * 37) + 1 + n % (width - 1)]
            cases.append(WsCase(f"odd-bytes-{encoding}-{len(cut)}", base_params(encoding), frames(cut, cut[:3], cut, CLOSE)))
    for encoding, rate in (("mulaw", 8000), ("linear16", 16000), ("alaw", 8000))[:big_frames]:
        cases.append(WsCase(f"10mb-frame-{encoding}", base_params(encoding, rate),
                            frames(rng.randbytes(10 * 2**20), CLOSE), big=True))
    junk_text = ["", "{", "}", "null", "[]", "123", "\x00", "true", '"close_stream"', '{"type": 5}', '{"type": null}',
                 '{"type": ["finalize"]}', '{"type": "FINALIZE", "x": ' + "1" * 5000 + "}", "x" * 2**20, "\ud800".encode(
                     "utf-8", "surrogatepass").decode("utf-8", "replace"), '{"flag": "end"}', '{"type": "unknown"}',
                 "{'type': 'close_stream'}", '{"type":"keepalive"}' * 3, "\u202e\u0000\uffff"]
    for n, junk in enumerate(junk_text):
        cases.append(WsCase(f"text-junk-{n}", base_params(), frames(junk, speech[:6400], CLOSE)))
    for depth in (1000, 10_000, 100_000):
        for opener, closer in (("[", "]"), ('{"a":', "}")):
            nested = opener * depth + "1" + closer * depth
            cases.append(WsCase(f"nested-json-{opener[0]}-{depth}", base_params(), frames(nested, speech[:6400], CLOSE)))
    final = text({"type": "finalize"})
    orders = {
        "finalize-before-audio": (final, speech, CLOSE),
        "close-first": (CLOSE, speech),
        "close-twice": (speech, CLOSE, CLOSE),
        "audio-after-close": (speech, CLOSE, speech, speech),
        "finalize-after-close": (speech, CLOSE, final),
        "finalize-storm": (speech[:3200],) + (final,) * 50 + (CLOSE,),
        "keepalive-storm": (text({"type": "keepalive"}),) * 200 + (CLOSE,),
        "end-flag-legacy": (speech, text({"flag": "END"})),
        "empty-binary-frames": (b"",) * 20 + (CLOSE,),
        "only-close": (CLOSE,),
    }
    for name, items in orders.items():
        for encoding in ("linear16", "mulaw"):
            cases.append(WsCase(f"order-{name}-{encoding}", base_params(encoding, 16000 if encoding == "linear16" else 8000),
                                frames(*items)))
    for n in range(3):
        cases.append(WsCase(f"never-reads-{n}", base_params(), never_reads(speech, 4.0)))
    for n, delay in enumerate((0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2) * 2):
        cases.append(WsCase(f"abrupt-mid-final-{n}", base_params(), abrupt(speech, delay), expect_close=False))
    for size in (8 * 1024, 16 * 1024, 64 * 1024):
        words = ",".join(f"kw{n}:2" for n in range(size // 6))
        cases.append(WsCase(f"handshake-url-{size // 1024}kb", {**base_params(), "keywords": words}, frames(CLOSE)))
    bad = {
        "encoding-bogus": {"encoding": "pcm_f64"}, "rate-0": {"sample_rate": "0"}, "rate-neg": {"sample_rate": "-16000"},
        "rate-huge": {"sample_rate": "99999999999999999999"}, "model-pro": {"model": "pulse-pro"},
        "model-missing": {"model": ""}, "language-bogus": {"language": "xx-yy"}, "bool-bogus": {"diarize": "maybe"},
    }
    for name, change in bad.items():
        cases.append(WsCase(f"handshake-{name}", {**base_params(), **change}, frames(CLOSE)))
    cases.append(WsCase("handshake-no-auth", base_params(), frames(CLOSE), headers={}))
    cases.append(WsCase("handshake-bad-key", base_params(), frames(CLOSE), headers={"Authorization": "Bearer sk_nope"}))
    for n in range(random_count):
        encoding = rng.choice(ENCODINGS)
        items: list[bytes | str] = []
        for _ in range(rng.randint(1, 12)):
            roll = rng.random()
            if roll < 0.5:
                items.append(rng.randbytes(rng.choice((1, 2, 3, 160, 320, 1600, 3201, 32000))))
            elif roll < 0.65:
                items.append(speech[: rng.randrange(1, len(speech))])
            elif roll < 0.8:
                items.append(text({"type": rng.choice(("finalize", "keepalive", "ping", "x", "FINALIZE"))}))
            else:
                items.append(rng.randbytes(rng.randint(0, 64)).decode("latin-1"))
        cases.append(WsCase(f"random-{n}-{encoding}", base_params(encoding, rng.choice((8000, 16000, 48000))),
                            frames(*items, CLOSE)))
    return cases


async def drain_until_closed(ws: ClientConnection, timeout_s: float) -> int | None:
    """Read until the server closes; its close code (1006 for a dropped connection), None if it never closed."""
    try:
        async with asyncio.timeout(timeout_s):
            async for _ in ws:
                pass
    except TimeoutError:
        return None
    except ConnectionClosed:
        pass
    return ws.close_code if ws.close_code is not None else 1006


async def run_case(server: ServerProcess, case: WsCase) -> WsOutcome:
    url = f"{server.ws_url}/waves/v1/stt/live?{urlencode(case.params)}"
    headers = auth_headers(server) if case.headers is None else case.headers
    try:
        ws = await connect(url, additional_headers=headers, max_size=None, open_timeout=HANDSHAKE_TIMEOUT_S,
                           ping_interval=None, close_timeout=5)
    except InvalidStatus as exc:
        status = exc.response.status_code
        return WsOutcome(case.name, status, None, status < 500, "" if status < 500 else "5xx at upgrade")
    except (TimeoutError, OSError) as exc:
        return WsOutcome(case.name, 0, None, False, f"no handshake answer: {type(exc).__name__}")
    try:
        await case.script(ws)
    except (ConnectionClosed, TimeoutError, OSError):
        pass  # the server may close first (e.g. after an error message); its close code is read below
    if not case.expect_close:
        return WsOutcome(case.name, 101, None, True)
    code = await drain_until_closed(ws, CLOSE_WAIT_S)
    if code is None:
        ws.transport.abort()
        return WsOutcome(case.name, 101, None, False, "no close")
    return WsOutcome(case.name, 101, code, code != 1006, "" if code != 1006 else "dropped without a close frame")


def probe_health(server: ServerProcess, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        out.append(health_latency(server))
        stop.wait(0.2)


async def _run_all(server: ServerProcess, cases: list[WsCase], concurrency: int) -> list[WsOutcome]:
    gate = asyncio.Semaphore(concurrency)

    async def one(case: WsCase) -> WsOutcome:
        async with gate:
            return await run_case(server, case)

    return list(await asyncio.gather(*(one(c) for c in cases)))


def run_ws_abuse(server: ServerProcess, cases: list[WsCase], concurrency: int = 2) -> WsReport:
    """Big-frame cases one at a time with /health probed meanwhile; the rest `concurrency` at a time."""
    log_offset = len(server.log())
    latencies: list[float] = []
    with ResourceMonitor(server.process.pid) as monitor:
        first = monitor.sample()
        outcomes: list[WsOutcome] = []
        for case in (c for c in cases if c.big):
            stop = threading.Event()
            prober = threading.Thread(target=probe_health, args=(server, stop, latencies), daemon=True)
            prober.start()
            outcomes.append(asyncio.run(run_case(server, case)))
            stop.set()
            prober.join()
        outcomes.extend(asyncio.run(_run_all(server, [c for c in cases if not c.big], concurrency)))
    time.sleep(1.0)  # let teardown log lines land
    return WsReport(
        outcomes=outcomes,
        health_during_big_frames_s=latencies,
        start_rss=first.rss if first else 0,
        peak_rss=monitor.peak_rss,
        alive_after=health_ok(server),
        log_lines=log_problems(server.log()[log_offset:]),
    )


def sample_cases(cases: list[WsCase], count: int, seed: int = 7) -> list[WsCase]:
    """A fixed subset that always keeps the cases behind issue 12's live-path bugs (the fast tier)."""
    keys = ("10mb-frame-mulaw", "nested-json-[-100000", "handshake-url-8kb", "odd-bytes-linear16", "never-reads-0")
    must = [c for c in cases if any(c.name.startswith(k) for k in keys)]
    rest = [c for c in cases if c not in must]
    return must + random.Random(seed).sample(rest, max(0, min(len(rest), count - len(must))))
