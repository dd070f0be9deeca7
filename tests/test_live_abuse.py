"""Hostile live clients against a real server: huge frames, nested JSON, long handshake URLs, rejected
handshakes; and the WS contract details a real client runs into (comma-list redaction, interim formatting)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import numpy as np
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.helpers import JFK, ServerProcess, load_pcm
from tests.support.live import collect_until, connect, pcm16, send_audio, url

pytestmark = pytest.mark.slow
TEN_MB = 10 * 1024 * 1024


def rss_mb(server: ServerProcess) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def health_latency(server: ServerProcess) -> float:
    """Seconds /health takes to answer (asked from a worker thread, so the test's own loop does not count)."""
    started = time.monotonic()
    assert httpx.get(f"{server.base_url}/health", timeout=30).status_code == 200
    return time.monotonic() - started


async def error_then_close(ws: websockets.ClientConnection) -> tuple[dict, int | None]:
    """The server's last words: the `{"type":"error"}` event it sends, then its close code."""
    messages = []
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            messages.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
    errors = [m for m in messages if m.get("type") == "error"]
    assert errors, messages
    return errors[-1], ws.close_code


def test_ten_megabyte_frame_keeps_health_responsive_and_memory_bounded(server: ServerProcess) -> None:
    before = rss_mb(server)
    baseline = health_latency(server)

    async def go() -> tuple[dict, int | None, float]:
        target = url(server, encoding="mulaw", sample_rate=8000)
        async with connect(server, target) as ws:
            await ws.send(b"\xff" * 1600)  # a normal 200 ms frame first
            send = asyncio.create_task(ws.send(np.random.default_rng(0).bytes(TEN_MB)))
            latency = await asyncio.to_thread(health_latency, server)
            await send
            error, code = await error_then_close(ws)
        return error, code, latency

    error, code, latency = asyncio.run(go())
    grown = rss_mb(server) - before
    print(f"/health: {baseline:.3f} s idle, {latency:.3f} s during a 10 MB frame; RSS growth {grown:.0f} MB")
    assert latency < 5.0  # generous: a frozen loop took 4.5-7.6 s per frame before the fix
    assert code == 1009 and "Audio frame too large" in error["message"] and error["status"] == "error"
    assert grown < 300
    assert "Traceback" not in server.log()


@pytest.mark.parametrize(("depth", "code"), [(100_000, 1009), (20_000, 1007)])
def test_deeply_nested_json_gets_an_error_then_a_close(server: ServerProcess, depth: int, code: int) -> None:
    async def go() -> tuple[dict, int | None]:
        async with connect(server, url(server)) as ws:
            await ws.send("[" * depth)
            return await error_then_close(ws)

    error, close_code = asyncio.run(go())
    assert close_code == code and error["message"]
    assert "RecursionError" not in server.log() and "Traceback" not in server.log()


def test_long_keyword_list_handshake_works_like_http(server: ServerProcess) -> None:
    keywords = ",".join(f"Keyword{i}:2" for i in range(1000))  # about 12 KB of URL
    target = url(server, keywords=keywords)
    assert len(target) > 10_000

    async def go() -> dict:
        async with connect(server, target) as ws:
            await send_audio(ws, pcm16(load_pcm(JFK)[: 16000 * 3]))
            await ws.send(json.dumps({"type": "close_stream"}))
            return (await collect_until(ws, lambda m: m.get("is_last")))[-1]

    assert asyncio.run(go())["is_last"] is True


@pytest.mark.parametrize("kilobytes", [40, 80])
def test_oversized_handshake_url_is_a_prompt_414(server: ServerProcess, kilobytes: int) -> None:
    target = url(server, keywords="k" * (kilobytes * 1024))

    async def go() -> tuple[int, dict, str | None]:
        with pytest.raises(InvalidStatus) as info:
            async with websockets.connect(target, additional_headers=server.auth, open_timeout=10):
                pass
        response = info.value.response
        return response.status_code, json.loads(response.body), response.headers.get("x-request-id")

    started = time.monotonic()
    status, body, request_id = asyncio.run(go())
    assert time.monotonic() - started < 10
    assert status == 414 and "too long" in body["error"] and body["request_id"] == request_id
    if kilobytes * 1024 > 60_000:
        return  # httpx itself refuses URLs over 64 KB
    http = httpx.post(
        f"{server.base_url}/waves/v1/stt/?{urlencode({'model': 'pulse', 'keywords': 'k' * kilobytes * 1024})}",
        content=b"\0" * 100,
        headers=server.auth,
        timeout=10,
    )
    assert http.status_code == 414 and http.json()["request_id"] == http.headers["x-request-id"]


def test_rejected_handshakes_carry_a_request_id_and_log_no_error(server: ServerProcess) -> None:
    before = len(server.log())

    async def reject(target: str, headers: dict[str, str]) -> tuple[int, dict, str | None]:
        with pytest.raises(InvalidStatus) as info:
            async with websockets.connect(target, additional_headers=headers, open_timeout=10):
                pass
        response = info.value.response
        return response.status_code, json.loads(response.body), response.headers.get("x-request-id")

    for target, headers, expected in [
        (url(server), {"Authorization": "Bearer sk_wrong"}, 401),
        (url(server, model="pulse-pro"), server.auth, 400),
        (url(server, sample_rate=12345), server.auth, 400),
    ]:
        status, body, request_id = asyncio.run(reject(target, headers))
        assert status == expected and body["request_id"] == request_id and request_id
    time.sleep(0.5)
    assert "without completing handshake" not in server.log()[before:]


def _stream(server: ServerProcess, seconds: float = 11.0, **params: object) -> list[dict]:
    audio = pcm16(load_pcm(JFK)[: int(16000 * seconds)])

    async def go() -> list[dict]:
        async with connect(server, url(server, **params)) as ws:
            for start in range(0, len(audio), 3200):  # 100 ms frames at real-time pace, so partials appear
                await ws.send(audio[start : start + 3200])
                await asyncio.sleep(0.1)
            await ws.send(json.dumps({"type": "close_stream"}))
            return await collect_until(ws, lambda m: m.get("is_last"), timeout=120)

    return asyncio.run(go())


def test_formatting_switches_hold_on_interim_messages(server: ServerProcess) -> None:
    messages = _stream(server, punctuate="false", capitalize="false")
    texts = [m["transcript"] for m in messages if m.get("type") == "transcription" and m["transcript"]]
    partials = [m["transcript"] for m in messages if m.get("type") == "transcription" and not m["is_final"]]
    assert partials, messages
    assert all(text == text.lower() and not re.search(r"[.,?!]", text) for text in texts), texts


def test_comma_list_redaction_turns_redaction_on(server: ServerProcess) -> None:
    messages = _stream(server, seconds=4.0, redact_pii="name,phone_number", redact_pci="credit_card")
    transcriptions = [m for m in messages if m.get("type") == "transcription"]
    assert transcriptions and all("redacted_entities" in m for m in transcriptions), transcriptions
