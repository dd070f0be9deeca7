"""Live path through real clients: the smallestai SDK streaming helper, Opus/Ogg input, 10 concurrent sessions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import av
import numpy as np
import pytest
from smallestai import AsyncSmallestAI
from smallestai.environment import SmallestAIEnvironment
from smallestai.waves.helpers import stream_speech_to_text

from tests.helpers import DATA, ServerProcess, encode_audio, load_pcm, manifest
from tests.support.live import CLIP, collect_until, connect, pcm16, send_audio, url, wait_no_sessions

pytestmark = pytest.mark.slow  # real server and models


def sdk_client(server: ServerProcess) -> AsyncSmallestAI:
    env = SmallestAIEnvironment(atoms=f"{server.base_url}/atoms/v1", waves=server.base_url,
                                waves_ws=server.ws_url, payment=server.base_url)
    return AsyncSmallestAI(api_key=server.api_key, environment=env, max_retries=0)


def test_sdk_streaming_helper(server: ServerProcess) -> None:
    from smallestai.waves.speech_to_text.types.close_stream import CloseStream  # noqa: PLC0415
    from smallestai.waves.speech_to_text.types.finalize_signal import FinalizeSignal  # noqa: PLC0415

    pcm = load_pcm(DATA / "asr_en" / "jfk.flac")

    async def go() -> list[object]:
        events: list[object] = []
        async with stream_speech_to_text(sdk_client(server), language="en", word_timestamps=True,
                                         itn_normalize=True, keywords=["Americans:2"]) as socket:
            data = pcm16(pcm)
            for start in range(0, len(data), 3200):
                await socket.send_audio_chunk_out(data[start : start + 3200])
            await socket.send_finalize_signal(FinalizeSignal(type="finalize"))
            await socket.send_close_stream(CloseStream(type="close_stream"))
            async for event in socket:
                events.append(event)
        return events

    events = asyncio.run(go())
    finals = [e for e in events if getattr(e, "is_final", False)]
    assert finals and getattr(finals[-1], "is_last", False)
    text = " ".join(getattr(e, "transcript", "") or "" for e in finals)
    assert "Americans" in text and "country" in text.lower()
    assert any(getattr(e, "from_finalize", False) for e in finals)


def _opus_packets(pcm: np.ndarray) -> list[bytes]:
    """Raw Opus packets from PyAV's libopus encoder (independent of the server's decoder)."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format, codec.bit_rate = 48000, "mono", "s16", 32000
    codec.open()
    pcm48 = np.interp(np.linspace(0, pcm.size - 1, pcm.size * 3), np.arange(pcm.size), pcm)
    data = (np.clip(pcm48, -1, 1) * 32767).astype(np.int16)
    packets: list[bytes] = []
    for start in range(0, data.size - 960, 960):
        frame = av.AudioFrame.from_ndarray(data[start : start + 960].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        packets += [bytes(p) for p in codec.encode(frame)]
    return packets


def test_opus_and_ogg_opus_input(server: ServerProcess, tmp_path: Path) -> None:
    pcm = load_pcm(CLIP)
    pcm48 = np.interp(np.linspace(0, pcm.size - 1, pcm.size * 3), np.arange(pcm.size), pcm).astype(np.float32)
    ogg = encode_audio(pcm48, tmp_path / "clip.ogg", "libopus", rate=48000, fmt="ogg").read_bytes()

    async def run(target: str, frames: list[bytes]) -> str:
        async with connect(server, target) as ws:
            for frame in frames:
                await ws.send(frame)
            await ws.send(json.dumps({"type": "close_stream"}))
            messages = await collect_until(ws, lambda m: m.get("is_last") is True)
            return " ".join(m["transcript"] for m in messages if m.get("is_final")).lower()

    opus_text = asyncio.run(run(url(server, encoding="opus", sample_rate=48000), _opus_packets(pcm)))
    ogg_frames = [ogg[i : i + 777] for i in range(0, len(ogg), 777)]  # pages split across frames
    ogg_text = asyncio.run(run(url(server, encoding="ogg_opus", sample_rate=48000), ogg_frames))
    assert "modern" in opus_text and "modern" in ogg_text


def test_ten_concurrent_sessions(server: ServerProcess) -> None:
    rows = [r for r in manifest("asr_en.jsonl") if r["duration"] < 4.0][:10]
    clips = [load_pcm(DATA / rows[i % len(rows)]["audio"]) for i in range(10)]

    async def one(pcm: np.ndarray) -> list[dict]:
        async with connect(server, url(server)) as ws:
            await send_audio(ws, pcm16(pcm), frame=3200)
            await ws.send(json.dumps({"type": "finalize"}))
            await ws.send(json.dumps({"type": "close_stream"}))
            return await collect_until(ws, lambda m: m.get("is_last") is True, timeout=120)

    async def go() -> list[list[dict]]:
        return await asyncio.gather(*(one(pcm) for pcm in clips))

    results = asyncio.run(go())
    for messages in results:
        finals = [m for m in messages if m.get("is_final")]
        assert sum(1 for m in finals if m.get("from_finalize")) == 1 and finals[-1]["is_last"]
        assert len({m["session_id"] for m in messages}) == 1
    assert len({r[0]["session_id"] for r in results}) == 10
    spoken = sum(1 for r in results if any(m["transcript"] for m in r if m.get("is_final")))
    assert spoken == 10
    assert wait_no_sessions(server)["active_sessions"] == 0
