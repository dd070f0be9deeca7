"""Redaction and speaker labels on the live WebSocket path, through a real server (issues 4 and 5)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import DATA, JFK, ServerProcess, load_pcm, manifest
from tests.support.live import collect_until, connect, pcm16, send_audio, url
from tests.support.redaction_audio import gold_digits, leaked_in_field, load_corpus, pick_clips, synthesize

pytestmark = pytest.mark.slow  # real server and models

TOKEN = re.compile(r"\[[A-Za-z]+_\d+\]")
needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="espeak-ng and sox are needed"
)


def message_texts(message: dict) -> list[str]:
    texts = [message.get("transcript", ""), message.get("transcription", ""), message.get("full_transcript", "")]
    texts += [w["word"] for w in message.get("words", [])]
    texts += [u["text"] for u in message.get("utterances", [])]
    return texts


async def stream_session(
    server: ServerProcess, pcm: np.ndarray, finalize_every: float | None = None, **params
) -> list[dict]:
    async with connect(server, url(server, **params)) as ws:
        data = pcm16(pcm)
        step = int((finalize_every or len(data) / 32000) * 32000)
        for start in range(0, len(data), step):
            await send_audio(ws, data[start : start + step])
            if finalize_every:
                await ws.send('{"type": "finalize"}')
        await ws.send('{"type": "close_stream"}')
        return await collect_until(ws, lambda m: m.get("is_last"), timeout=240)


@needs_espeak
def test_live_redaction_in_partials_finals_and_full_transcript(server: ServerProcess, tmp_path: Path) -> None:
    rows = pick_clips(load_corpus(), 3)
    leaked_total, tokens = 0, []
    for i, row in enumerate(rows):
        path = tmp_path / f"clip{i}.wav"
        synthesize(row["text"], path)
        # Silence between sentences lets partials happen before the final of each clip.
        pcm = np.concatenate([load_pcm(path), np.zeros(16000, dtype=np.float32)])
        messages = asyncio.run(
            stream_session(
                server,
                pcm,
                model="pulse",
                language="en",
                redact_pii="true",
                redact_pci="true",
                word_timestamps="true",
                sentence_timestamps="true",
                full_transcript="true",
            )
        )
        golds = gold_digits(row)
        for message in messages:
            leaked_total += sum(leaked_in_field(text, golds) for text in message_texts(message))
            assert "redacted_entities" in message
        finals = [m for m in messages if m["is_final"]]
        for final in finals:
            assert final["redacted_entities"] == TOKEN.findall(final["transcript"])
            tokens += final["redacted_entities"]
            word_tokens = [w["word"].strip(".,?!") for w in final.get("words", []) if w["word"].startswith("[")]
            assert word_tokens == [t.lower() for t in TOKEN.findall(final["transcript"])]
    assert leaked_total == 0
    assert tokens, "no entity was redacted in any final"


def test_live_speaker_labels_stay_consistent_across_the_session(server: ServerProcess) -> None:
    """Speaker A, then B, then A again: the third part gets A's label back (online clustering)."""
    female = next(r for r in manifest("asr_en.jsonl") if r.get("gender") == "female" and r["duration"] > 6)
    a, b = load_pcm(DATA / female["audio"]), load_pcm(JFK)
    gap = np.zeros(8000, dtype=np.float32)
    parts = [a, b, a]
    messages = asyncio.run(_stream_parts(server, parts, gap))
    finals = [m for m in messages if m["is_final"] and m.get("words")]
    assert len(finals) >= 3
    per_part: list[set[int]] = []
    for final in finals:
        speakers = {w["speaker"] for w in final["words"]}
        assert all(isinstance(s, int) for s in speakers)
        assert all(0 <= w["speaker_confidence"] <= 1 for w in final["words"])
        assert all(isinstance(u["speaker"], int) for u in final.get("utterances", []))
        per_part.append(speakers)
    first, middle, last = per_part[0], per_part[len(per_part) // 2], per_part[-1]
    assert first == {0}
    assert middle - first, "the second speaker got the first speaker's label"
    assert last == first


async def _stream_parts(server: ServerProcess, parts: list[np.ndarray], gap: np.ndarray) -> list[dict]:
    target = url(
        server, model="pulse", language="en", diarize="true", word_timestamps="true", sentence_timestamps="true"
    )
    async with connect(server, target) as ws:
        for part in parts:
            await send_audio(ws, pcm16(np.concatenate([part, gap])))
            await ws.send('{"type": "finalize"}')
        await ws.send('{"type": "close_stream"}')
        return await collect_until(ws, lambda m: m.get("is_last"), timeout=240)


def test_finalize_between_fast_sent_clips_loses_no_audio(server: ServerProcess) -> None:
    """Audio sent after a `finalize` (faster than real time) belongs to the next final, not to nobody."""
    from tests.helpers import wer

    rows = [r for r in manifest("asr_en.jsonl") if r["audio"].endswith(("LJ001-0002.flac", "jfk.flac"))]
    parts = [load_pcm(DATA / r["audio"]) for r in rows]

    async def go() -> list[dict]:
        async with connect(server, url(server, model="pulse", language="en")) as ws:
            for part in parts:
                await send_audio(ws, pcm16(np.concatenate([part, np.zeros(8000, dtype=np.float32)])))
                await ws.send('{"type": "finalize"}')
            await ws.send('{"type": "close_stream"}')
            return await collect_until(ws, lambda m: m.get("is_last"), timeout=240)

    finals = [m["transcript"] for m in asyncio.run(go()) if m["is_final"] and m["transcript"]]
    assert len(finals) == 2
    for reference, text in zip([r["text"] for r in rows], finals, strict=True):
        assert wer(reference, text) < 0.25, (reference, text)


def test_live_session_is_in_the_request_log(server: ServerProcess) -> None:
    import httpx

    async def go() -> list[dict]:
        async with connect(server, url(server, model="pulse", language="en", redact_pii="true")) as ws:
            await send_audio(ws, pcm16(load_pcm(JFK)))
            await ws.send('{"type": "close_stream"}')
            return await collect_until(ws, lambda m: m.get("is_last"), timeout=120)

    session_id = asyncio.run(go())[0]["session_id"]
    entries: list[dict] = []
    for _ in range(50):  # the row is written as the session tears down, just after the close
        logs = httpx.get(f"{server.base_url}/waves/v1/analytics/asr/logs", params={"page_size": 100},
                         headers=server.auth).json()
        entries = [e for e in logs["data"] if e["request_id"] == session_id]
        if entries:
            break
        asyncio.run(asyncio.sleep(0.1))
    assert entries, "live session missing from the request log"
    entry = entries[0]
    assert entry["request_type"] == "ws" and entry["model"] == "pulse" and entry["redact_pii"] is True
    assert entry["duration"] > 10 and entry["transcription"] == ""
