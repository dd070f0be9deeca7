"""Live WebSocket clients for protocol tests: URLs, connections, PCM framing, waiting for messages."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import httpx
import numpy as np
import websockets

from tests.helpers import DATA, ServerProcess

LIVE = "/waves/v1/stt/live"
LEGACY = "/waves/v1/pulse/get_text"
CLIP = DATA / "asr_en" / "ljspeech_LJ001-0002.flac"  # "in being comparatively modern." (1.9 s)


def pcm16(pcm: np.ndarray) -> bytes:
    return (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes()


def url(server: ServerProcess, path: str = LIVE, **params: object) -> str:
    query = {"model": "pulse", "language": "en", **params} if path == LIVE else dict(params)
    query = {k: v for k, v in query.items() if v is not None}
    return f"{server.ws_url}{path}?{urlencode(query)}"


def connect(server: ServerProcess, target: str, key: str | None = None) -> websockets.ClientConnection:
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    return websockets.connect(target, additional_headers=headers, max_size=None, open_timeout=30)


async def send_audio(ws: websockets.ClientConnection, data: bytes, frame: int = 3200) -> None:
    """Faster than real time: protocol tests are about order, not latency."""
    for start in range(0, len(data), frame):
        await ws.send(data[start : start + frame])


async def collect_until(ws: websockets.ClientConnection, stop, timeout: float = 60) -> list[dict]:  # type: ignore[no-untyped-def]
    messages: list[dict] = []
    async with asyncio.timeout(timeout):
        async for raw in ws:
            messages.append(json.loads(raw))
            if stop(messages[-1]):
                break
    return messages


def live_health(server: ServerProcess) -> dict:
    return httpx.get(f"{server.base_url}/health/live", timeout=10).json()


def wait_no_sessions(server: ServerProcess, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    stats = live_health(server)
    while stats["active_sessions"] and time.monotonic() < deadline:
        time.sleep(0.2)
        stats = live_health(server)
    return stats
