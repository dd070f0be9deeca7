"""A generated two-party 8 kHz μ-law call, posted and streamed: both speakers' opening sentences come back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, normalise
from tests.support.live import collect_until, connect, send_audio, url
from tests.support.telephone_set import g711_payload, telephone_set

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def call() -> dict:
    """The first μ-law call of the telephone set (speaker A opens, B answers, turns alternate)."""
    return next(r for r in telephone_set() if r["kind"] == "call" and r["codec"] == "ulaw")


def recall(reference: str, transcript: str) -> float:
    """Share of the reference's distinct words (after Whisper's normaliser) found in the transcript."""
    ref = set(normalise(reference).split())
    hyp = set(normalise(transcript).split())
    return len(ref & hyp) / len(ref)


def test_posted_call_has_both_openings_and_two_speakers(server: ServerProcess, call: dict) -> None:
    response = httpx.post(
        f"{server.base_url}/waves/v1/stt/",
        params={"model": "pulse", "language": "en", "word_timestamps": "true", "diarize": "true"},
        content=Path(call["path"]).read_bytes(),
        headers={"Content-Type": "application/octet-stream", **server.auth},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    for speaker, opening in call["openings"].items():
        assert recall(opening, body["transcription"]) >= 0.8, (speaker, opening, body["transcription"])
    assert len({w["speaker"] for w in body["words"]}) >= 2


def test_streamed_call_faster_than_real_time_has_both_openings(server: ServerProcess, call: dict) -> None:
    payload = g711_payload(call["path"])

    async def go() -> str:
        async with connect(server, url(server, encoding="mulaw", sample_rate=8000)) as ws:
            await send_audio(ws, payload, frame=1600)  # 200 ms packets, sent as fast as the socket takes them
            await ws.send(json.dumps({"type": "finalize"}))
            await ws.send(json.dumps({"type": "close_stream"}))
            messages = await collect_until(ws, lambda m: m.get("is_last") is True, timeout=300)
            return " ".join(m["transcript"] for m in messages if m.get("is_final"))

    transcript = asyncio.run(go())
    for speaker, opening in call["openings"].items():
        assert recall(opening, transcript) >= 0.7, (speaker, opening, transcript)
