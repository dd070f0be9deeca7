#!/usr/bin/env python
"""Pre-recorded benchmark: WER, language ID, RTF, server overhead vs direct faster-whisper, peak RSS.

Starts a real server on loopback with the given config, sends every clip of asr_en.jsonl to each
model over HTTP, then runs faster-whisper directly on the same files with the same decoding
parameters in this process, and writes the figures to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx
import jiwer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.asr import WhisperEngine  # noqa: E402
from models.audio import decode_audio  # noqa: E402
from models.languages import plan_language  # noqa: E402
from scripts.benchlib import DATA, REPO, machine, manifest, write_section  # noqa: E402
from server.config import load_config  # noqa: E402
from tests.helpers import (
    normalise,  # noqa: E402
    start_server,  # noqa: E402
)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def corpus_wer(refs: list[str], hyps: list[str]) -> float:
    pairs = [(normalise(r), normalise(h)) for r, h in zip(refs, hyps, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])


def server_once(client: httpx.Client, base_url: str, model: str, row: dict) -> tuple[str, float]:
    data = (DATA / row["audio"]).read_bytes()
    started = time.perf_counter()
    response = client.post(f"{base_url}/waves/v1/stt/", params={"model": model, "language": "en"}, content=data)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return response.json()["transcription"], elapsed


def direct_once(engine: WhisperEngine, row: dict) -> tuple[str, float]:
    """faster-whisper called directly with the model's configured decoding parameters (decode included)."""
    decode = engine.config.batch
    vad = {"min_silence_duration_ms": decode.vad_min_silence_ms, "speech_pad_ms": decode.vad_speech_pad_ms}
    started = time.perf_counter()
    audio = decode_audio(str(DATA / row["audio"]))
    segments, _ = engine.model.transcribe(
        audio,
        language="en",
        beam_size=decode.beam_size,
        temperature=decode.temperature,
        vad_filter=decode.vad_filter,
        vad_parameters=vad,
    )
    text = " ".join(s.text.strip() for s in segments)
    return text, time.perf_counter() - started


def compare(server, engine: WhisperEngine, model: str, rows: list[dict]) -> dict:
    """Server and direct calls alternate clip by clip, so background load hits both sides alike."""
    out = {"server": [], "direct": [], "server_s": 0.0, "direct_s": 0.0}
    with httpx.Client(timeout=600, headers={"Authorization": f"Bearer {server.api_key}"}) as client:
        for row in rows[:2]:  # warm-up of both paths
            server_once(client, server.base_url, model, row)
            direct_once(engine, row)
        for row in rows:
            text, elapsed = server_once(client, server.base_url, model, row)
            out["server"].append(text)
            out["server_s"] += elapsed
            text, elapsed = direct_once(engine, row)
            out["direct"].append(text)
            out["direct_s"] += elapsed
    return out


def language_id(engine: WhisperEngine, rows: list[dict]) -> tuple[int, int, list[str]]:
    """Detection through the same planner the server uses for `language=multi`."""
    supported = engine.supported_languages
    plan = plan_language("multi", supported, False)
    hits, misses = 0, []
    for row in rows:
        audio = decode_audio(str(DATA / row["audio"]))
        _, _, probs = engine.model.detect_language(audio, vad_filter=plan.pinned is None)
        guess = probs[0][0]
        if guess == row["language"]:
            hits += 1
        else:
            misses.append(f"{Path(row['audio']).name}: {row['language']}→{guess}")
    return hits, len(rows), misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "default.yaml")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    rows = manifest("asr_en.jsonl")
    audio_seconds = sum(r["duration"] for r in rows)
    config = load_config(args.config)
    log = Path("/tmp") / f"bench-prerecorded-{int(time.time())}.log"
    server = start_server(args.config, log)
    results: dict[str, dict] = {}
    engines: dict[str, WhisperEngine] = {}
    try:
        for model, mc in config.models.items():
            # The direct engine runs in this process with the same weights and threads as the server's.
            engine = engines.setdefault(mc.weights.model_dump_json(), WhisperEngine(model, mc, REPO / ".cache"))
            run = compare(server, engine, model, rows)
            refs = [r["text"] for r in rows]
            results[model] = {
                "wer": corpus_wer(refs, run["server"]),
                "direct_wer": corpus_wer(refs, run["direct"]),
                "server_s": run["server_s"],
                "direct_s": run["direct_s"],
            }
            if engine.is_multilingual:
                results[model]["lid"] = language_id(
                    engine, [r for r in manifest("asr_multi.jsonl") if r.get("language")]
                )
            print(f"{model}: {results[model]}", flush=True)
        rss = peak_rss_mb(server.process.pid)
    finally:
        server.stop()

    lines = [
        "## Pre-recorded (`scripts/bench_prerecorded.py`)",
        "",
        f"Machine: {machine()}. Config: `{args.config.relative_to(REPO) if args.config.is_relative_to(REPO) else args.config}`. "
        f"Data: `asr_en.jsonl`, {len(rows)} clips, {audio_seconds:.0f} s; WER after Whisper's English normaliser on both sides.",
        "",
        "| model | WER (server) | WER (direct faster-whisper) | RTF (server) | RTF (direct) | server overhead | language ID |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, r in results.items():
        overhead = r["server_s"] / r["direct_s"] - 1
        lid = r.get("lid")
        lid_text = f"{lid[0]}/{lid[1]}" if lid else "English-only"
        lines.append(
            f"| `{model}` | {r['wer']:.2%} | {r['direct_wer']:.2%} | {r['server_s'] / audio_seconds:.3f} | "
            f"{r['direct_s'] / audio_seconds:.3f} | {overhead:+.1%} | {lid_text} |"
        )
    lines += ["", f"Server peak RSS (both models loaded, after all requests): {rss:.0f} MB."]
    misses = [m for r in results.values() if r.get("lid") for m in r["lid"][2]]
    if misses:
        lines.append(
            f"Language-ID misses (`asr_multi.jsonl`, detection over all Whisper languages): {'; '.join(misses)}."
        )
    lines.append(
        "Server overhead = (server wall time over HTTP, upload + decode + inference + JSON) / "
        "(direct faster-whisper on the same files in the same run, decode included) − 1."
    )
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section("bench_prerecorded", report)


if __name__ == "__main__":
    main()
