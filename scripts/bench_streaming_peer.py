"""WhisperLive 0.10.0 on the same weights, for scripts/bench_streaming.py: the clips at real time, one session.

WhisperLive has no `finalize`: its time to final is end of speech until every segment is `completed`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import jiwer
import numpy as np
import websockets
from faster_whisper.vad import VadOptions, get_speech_timestamps
from whisper_normalizer.english import EnglishTextNormalizer

from scripts.bench_streaming_setup import Clip, start
from scripts.benchlib import percentile

NORMALISE = EnglishTextNormalizer()
FRAME = 320
TAIL = 8.0  # seconds of silence streamed after a clip while waiting for its segments to complete


def speech_end(pcm: np.ndarray) -> float:
    speech = get_speech_timestamps(pcm, VadOptions(min_silence_duration_ms=300, speech_pad_ms=0))
    return speech[-1]["end"] / 16000 if speech else pcm.size / 16000


async def peer_clip(port: int, model: str, clip: Clip) -> tuple[float, bool, str]:
    """(end of speech → final s, whether it ever became final, text)."""
    async with websockets.connect(f"ws://127.0.0.1:{port}", max_size=None) as ws:
        await ws.send(json.dumps({"uid": f"bench-{clip.name}", "language": "en", "task": "transcribe",
                                  "model": model, "use_vad": True, "send_last_n_segments": 50}))
        while "SERVER_READY" not in json.loads(await ws.recv()).get("message", ""):
            pass
        segments: dict[float, dict] = {}
        t0 = time.monotonic()
        end = speech_end(clip.pcm)
        final_at: list[float] = []

        async def reader() -> None:
            async for raw in ws:
                for seg in json.loads(raw).get("segments", []):
                    segments[float(seg["start"])] = seg
                now = time.monotonic()
                if segments and all(s.get("completed") for s in segments.values()) and now - t0 > end:
                    final_at.append(now)

        task = asyncio.create_task(reader())
        pcm = np.concatenate([clip.pcm, np.zeros(int(TAIL * 16000), np.float32)])
        for i, first in enumerate(range(0, pcm.size, FRAME)):
            if final_at:
                break
            await ws.send(pcm[first : first + FRAME].tobytes())
            delay = t0 + (i + 1) * FRAME / 16000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        task.cancel()
        text = " ".join(s["text"].strip() for _, s in sorted(segments.items()))
        done = bool(final_at)
        return (final_at[0] if done else time.monotonic()) - (t0 + end), done, text


def run_peer(args: argparse.Namespace, items: list[Clip]) -> str:
    """One line per run for the benchmarks section."""
    port = args.port + 1
    code = ("import logging;logging.basicConfig(level=logging.WARNING);"
            "from whisper_live.server import TranscriptionServer;"
            f"TranscriptionServer().run('127.0.0.1',{port},backend='faster_whisper',"
            f"faster_whisper_custom_model_path={args.peer_model!r},single_model=True,max_clients=16)")
    peer = start([args.peer_python, "-c", code], port, Path("/tmp/bench_streaming") / "peer.log",
                 {"OMP_NUM_THREADS": "2"}, "tcp")
    lines = []
    try:
        for repeat in range(args.runs):
            results = [asyncio.run(peer_clip(port, args.peer_model, clip)) for clip in items]
            times = [t for t, _, _ in results]
            never = sum(1 for _, done, _ in results if not done)
            error = jiwer.wer([NORMALISE(c.text) for c in items], [NORMALISE(t) or "-" for _, _, t in results])
            bound = "≥ " if never else ""
            lines.append(f"- WhisperLive 0.10.0 (faster_whisper, VAD on, same weights), run {repeat + 1}: end of "
                         f"speech→final p50 / p95 {bound}{percentile(times, 50):.2f} / {percentile(times, 95):.2f} s "
                         f"({never}/{len(items)} clips never final), WER {error * 100:.1f} %.")
            print(lines[-1], flush=True)
    finally:
        peer.terminate()
        peer.wait()
    return "\n".join(lines)
