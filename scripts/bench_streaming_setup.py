"""Inputs of scripts/bench_streaming.py: CPU description, clips, continuous-speech sequences, the decode floor."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import numpy as np

from models.streaming.decoder import DecodeRequest, LiveDecoder
from models.streaming.runtime import load_live_model
from models.weights import resolve_weights
from scripts.benchlib import DATA, REPO, manifest
from server.config import load_config


@dataclass
class Clip:
    name: str
    pcm: np.ndarray
    text: str


def load(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        chunks = [f.to_ndarray().reshape(-1) for fr in container.decode(audio=0) for f in resampler.resample(fr)]
    return np.concatenate(chunks).astype(np.float32) / 32768.0


def load_clips(n: int) -> list[Clip]:
    rows = manifest("asr_en.jsonl")[:n]
    return [Clip(Path(r["audio"]).stem, load(DATA / r["audio"]), r["text"]) for r in rows]


@dataclass
class Sequence:
    """Clips joined without pauses; `word_ends[k]`: audio time by which the (k+1)-th reference word was said
    (each clip's words spread evenly over it)."""

    pcm: np.ndarray
    word_ends: np.ndarray


def continuous(items: list[Clip], low: float, high: float) -> list[Sequence]:
    """Clips concatenated without pauses into sequences of `low`–`high` s (the last clip cut at `high`)."""
    sequences: list[Sequence] = []
    current: list[Clip] = []
    for clip in sorted(items, key=lambda c: c.name):
        current.append(clip)
        if sum(c.pcm.size for c in current) >= low * 16000:
            sequences.append(_sequence(current, high))
            current = []
    return sequences or [_sequence(items, high)]


def _sequence(clips: list[Clip], high: float) -> Sequence:
    ends: list[float] = []
    offset = 0.0
    for clip in clips:
        duration = clip.pcm.size / 16000
        n = max(1, len(clip.text.split()))
        ends += [offset + duration * (k + 1) / n for k in range(n)]
        offset += duration
    pcm = np.concatenate([c.pcm for c in clips])[: int(high * 16000)]
    return Sequence(pcm, np.array([e for e in ends if e <= high]))


def floor_seconds(items: list[Clip], sequences: list[Sequence]) -> dict[str, float]:
    """One direct decode per clip and per sequence with the live model and a final's search (no server running;
    one instance on cpu_threads, without the server's one-thread generation: the floor stays a plain decode)."""
    config = load_config(REPO / "configs" / "default.yaml")
    model = config.models["pulse"]
    live = model.live
    decoder = LiveDecoder(load_live_model(resolve_weights(model.weights, REPO / ".cache"), model, live.engine),
                          live.decoder)
    audio = {c.name: c.pcm for c in items} | {f"seq{i}": s.pcm for i, s in enumerate(sequences)}
    decoder.decode_batch([DecodeRequest(items[0].pcm, "en", final=True)])  # warm-up
    floors = {}
    for name, pcm in audio.items():
        started = time.perf_counter()
        decoder.decode_batch([DecodeRequest(pcm, "en", final=True)])
        floors[name] = time.perf_counter() - started
    return floors


def start(cmd: list[str], port: int, log: Path, env: dict[str, str], probe: str) -> subprocess.Popen:
    """Start a server process and wait until it answers (`probe`: "http" health check or "tcp" connect).

    Refuses a busy port: a server left over from an interrupted run would answer in the new one's place.
    """
    import socket  # noqa: PLC0415

    with socket.socket() as probe_socket:
        if probe_socket.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already in use (a server from an earlier run?); stop it or pass --port")
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **env}, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            if probe == "http":
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).raise_for_status()
            else:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except Exception:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"{cmd} did not start")
