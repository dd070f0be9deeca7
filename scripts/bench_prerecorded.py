#!/usr/bin/env python
"""Pre-recorded benchmark over HTTP: wideband and telephone WER, speech coverage, two-party DER, batching.

Starts a real server on loopback with the given config and, per model, in each of `--runs` passes:
- `asr_en` WER (and speech coverage per clip);
- the telephone set (`scripts/telephone_set.py`, built into .cache/telephone when missing): WER on the
  single-speaker clips and the two-party calls, digit accuracy of the digit-by-digit sentences after
  ITN, speech coverage per file (AMI telephone excerpts included);
- two-party calls with `diarize=true`: DER of the speakers on the response's utterances (`pulse`);
- 8 requests sent concurrently vs the same 8 one after another: wall-time ratio and WER of each.
Prints the CPU model and SIMD flags and writes the `bench_prerecorded` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.benchlib import DATA, REPO, cpu_description, machine, manifest, write_section  # noqa: E402
from scripts.prerecorded_scoring import (  # noqa: E402
    corpus_wer,
    digits_after_itn,
    reference_coverage,
    response_coverage,
    response_der,
)
from server.config import load_config  # noqa: E402
from tests.helpers import ServerProcess, start_server  # noqa: E402
from tests.support.telephone_set import telephone_set  # noqa: E402

COVERAGE_TARGET = 0.98
CONCURRENT = 8
# The telephone-set WER the target (≤ 1.3× wideband) is checked on: clips and two-party calls.
# The digit sentences (a Piper voice) are scored by their digits after ITN only.
TELEPHONE_WER = ("telephone clips", "two-party calls")
FILLERS = re.compile(r"\b(uh|um|uhm|erm|er|ah|hmm|mm|mhm)\b", re.I)


def post(client: httpx.Client, server: ServerProcess, model: str, path: str, diarize: bool = False) -> dict:
    params = {"model": model, "language": "en", "word_timestamps": "true"}
    if diarize:
        params["diarize"] = "true"
    response = client.post(f"{server.base_url}/waves/v1/stt/", params=params, content=Path(path).read_bytes())
    response.raise_for_status()
    return response.json()


def score_rows(client: httpx.Client, server: ServerProcess, model: str, rows: list[dict], diarize: bool) -> dict:
    """WER over rows with text, coverage per row, DER per row with an RTTM (when diarizing), digits."""
    refs, hyps, coverage, carried, reference, ders, digits, fillers = [], [], {}, {}, {}, [], [], 0
    for row in rows:
        body = post(client, server, model, row["path"], diarize and "rttm_path" in row)
        text = body.get("transcription") or ""
        coverage[row["id"]] = response_coverage(row["path"], body)
        carried[row["id"]] = response_coverage(row["path"], body, reset_after_silence_ms=0)
        if "rttm_path" in row:
            reference[row["id"]] = reference_coverage(body, Path(row["rttm_path"]))
        fillers += len(FILLERS.findall(text))
        if row.get("text"):
            refs.append(row["text"])
            hyps.append(text)
        if diarize and "rttm_path" in row:
            ders.append(response_der(body, Path(row["rttm_path"])))
        if row.get("digits"):
            digits.append(digits_after_itn(text) == row["digits"])
    return {
        "refs": refs,
        "hyps": hyps,
        "wer": corpus_wer(refs, hyps) if refs and not digits else float("nan"),
        "coverage": coverage,
        "coverage (VAD state carried)": carried,
        "reference coverage": reference,
        "der": statistics.mean(ders) if ders else None,
        "fillers": fillers,
        "digits": (sum(digits), len(digits)) if digits else None,
    }


def concurrency(client: httpx.Client, server: ServerProcess, model: str, rows: list[dict]) -> dict:
    """The same requests one after another, then all at once: wall times and WER of both."""
    refs = [r["text"] for r in rows]
    started = time.perf_counter()
    sequential = [post(client, server, model, r["path"])["transcription"] for r in rows]
    sequential_s = time.perf_counter() - started
    started = time.perf_counter()
    with ThreadPoolExecutor(len(rows)) as pool:
        concurrent = list(pool.map(lambda r: post(client, server, model, r["path"])["transcription"], rows))
    concurrent_s = time.perf_counter() - started
    return {
        "sequential_s": sequential_s,
        "concurrent_s": concurrent_s,
        "ratio": concurrent_s / sequential_s,
        "sequential_wer": corpus_wer(refs, sequential),
        "concurrent_wer": corpus_wer(refs, concurrent),
    }


def one_run(server: ServerProcess, models: list[str], sets: dict[str, list[dict]], diarizing: set[str]) -> dict:
    results: dict[str, dict] = {}
    with httpx.Client(timeout=900, headers=server.auth) as client:
        for model in models:
            post(client, server, model, sets["asr_en"][0]["path"])  # warm-up
            r = {
                name: score_rows(client, server, model, rows, model in diarizing)
                for name, rows in sets.items()
                if name != "concurrency"
            }
            phone = [r[name] for name in TELEPHONE_WER]
            r["telephone"] = {
                "wer": corpus_wer([x for p in phone for x in p["refs"]], [x for p in phone for x in p["hyps"]])
            }
            wers = ", ".join(f"{k} WER {v['wer']:.2%}" for k, v in r.items() if v["wer"] == v["wer"])
            r["concurrency"] = concurrency(client, server, model, sets["concurrency"])
            results[model] = r
            print(f"{model}: {wers}; batching {r['concurrency']}", flush=True)
    return results


def select_sets(rows: list[dict], tel: list[dict], limit: int | None) -> dict[str, list[dict]]:
    def first(items: list[dict]) -> list[dict]:
        return items[:limit] if limit else items

    asr = [{**r, "id": Path(r["audio"]).stem, "path": str(DATA / r["audio"])} for r in rows]
    phone_clips = [r for r in tel if r["kind"] == "clip"]
    return {
        "asr_en": first(asr),
        "telephone clips": first(phone_clips),
        "two-party calls": first([r for r in tel if r["kind"] == "call"]),
        "digit sentences": first([r for r in tel if r["kind"] == "numbers"]),
        "AMI (telephone)": first([r for r in tel if r["kind"] == "ami"]),
        "concurrency": [r for r in phone_clips if 4.0 <= r["duration"] <= 12.0][:CONCURRENT],
    }


def command(args: argparse.Namespace) -> str:
    """The command line that reproduces the figures (the free-text note left out)."""
    parts = ["python scripts/bench_prerecorded.py", f"--runs {args.runs}"]
    if args.config != REPO / "configs" / "default.yaml":
        parts.append(f"--config {args.config}")
    if args.limit:
        parts.append(f"--limit {args.limit}")
    if args.models:
        parts.append("--models " + " ".join(args.models))
    return " ".join(parts)


def report(args: argparse.Namespace, runs: list[dict], sets: dict[str, list[dict]]) -> str:
    config = args.config.relative_to(REPO) if args.config.is_relative_to(REPO) else args.config
    scored = [name for name in sets if name != "concurrency"]
    lines = [
        "## Pre-recorded (`scripts/bench_prerecorded.py`)",
        "",
        f"CPU: {cpu_description()}. Machine: {machine()}. Config: `{config}`. Command: `{command(args)}`.",
        f"{len(runs)} passes in one run (columns `1 / 2`); WER after Whisper's English normaliser on both sides. "
        "Sets: " + "; ".join(f"{name} {len(rows)} files" for name, rows in sets.items() if name != "concurrency") + ".",
        "",
        "| model | asr_en WER | telephone WER (clips + calls) | telephone clips WER | two-party calls WER "
        "| digit strings right after ITN | two-party DER | speech coverage min (files < 98 %) "
        "| the same, VAD state carried | filler words |",
        "|---" * 10 + "|",
    ]
    for model in runs[0]:
        cells = [
            " / ".join(f"{run[model][name]['wer']:.2%}" for run in runs)
            for name in ("asr_en", "telephone", *TELEPHONE_WER)
        ]
        digits = [run[model]["digit sentences"]["digits"] for run in runs]
        cells.append(" / ".join(f"{d[0]}/{d[1]}" if d else "–" for d in digits))
        ders = [run[model]["two-party calls"]["der"] for run in runs]
        cells.append(" / ".join(f"{d:.3f}" if d is not None else "–" for d in ders))
        for key in ("coverage", "coverage (VAD state carried)"):
            coverage = []
            for run in runs:
                values = [v for name in scored for v in run[model][name][key].values()]
                coverage.append(f"{min(values):.1%} ({sum(v < COVERAGE_TARGET for v in values)}/{len(values)})")
            cells.append(" / ".join(coverage))
        cells.append(" / ".join(str(sum(run[model][name]["fillers"] for name in scored)) for run in runs))
        lines.append(f"| `{model}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Batching: {CONCURRENT} telephone clips (4–12 s) sent concurrently vs one after another, same server.",
        "",
        "| model | sequential s | concurrent s | ratio | WER sequential | WER concurrent |",
        "|---|---|---|---|---|---|",
    ]
    for model in runs[0]:
        c = [run[model]["concurrency"] for run in runs]
        lines.append(
            f"| `{model}` | "
            + " / ".join(f"{x['sequential_s']:.1f}" for x in c)
            + " | "
            + " / ".join(f"{x['concurrent_s']:.1f}" for x in c)
            + " | "
            + " / ".join(f"{x['ratio']:.2f}" for x in c)
            + " | "
            + " / ".join(f"{x['sequential_wer']:.2%}" for x in c)
            + " | "
            + " / ".join(f"{x['concurrent_wer']:.2%}" for x in c)
            + " |"
        )
    low = {
        key: sorted(
            (v, model, clip)
            for model in runs[-1]
            for name in scored
            for clip, v in runs[-1][model][name][key].items()
            if v < COVERAGE_TARGET
        )
        for key in ("coverage", "coverage (VAD state carried)")
    }
    lines += [
        "",
        "Speech coverage = share of Silero-VAD speech (threshold 0.5, 500 ms) within 0.5 s of a returned word; the "
        "VAD's state is cleared after 2 s of quiet, as the server's is (`VAD state carried`: through the whole file, "
        "as faster-whisper's VAD does; it stops hearing quiet speech after a pause). Files under 98 % (last pass): "
        + "; ".join(
            f"{key}: " + ("; ".join(f"`{m}` {c} {v:.1%}" for v, m, c in found) if found else "none")
            for key, found in low.items()
        )
        + ".",
        "Reference speech covered (files with an RTTM: the two-party calls and the AMI excerpts; share of the RTTM "
        "turns within 0.5 s of a word, pauses inside a turn included), last pass: "
        + "; ".join(
            f"`{model}` mean {statistics.mean(values.values()):.1%}, min {min(values.values()):.1%} "
            f"({min(values, key=values.__getitem__)})"
            for model in runs[-1]
            if (values := {c: v for name in scored for c, v in runs[-1][model][name]["reference coverage"].items()})
        )
        + ".",
        "DER: collar 0.25 s, overlap scored, hypothesis = the response's utterances with their speakers "
        "(`diarize=true`, `pulse` only: Pulse Pro has no diarization). Filler words: uh/um/er/hmm… in all "
        "transcripts (Pulse leaves disfluencies out). Digit strings: Piper `en_US-joe-medium` sentences read digit by digit "
        "through the phone line; right = the transcript's digits after ITN equal the spoken string.",
    ]
    if args.note:
        lines.append(args.note)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "default.yaml")
    parser.add_argument("--runs", type=int, default=2, help="passes over everything in one run")
    parser.add_argument("--limit", type=int, help="at most this many files per set (a short validation run)")
    parser.add_argument("--models", nargs="*", help="model names (default: every configured model)")
    parser.add_argument("--note", help="a line appended to the section (e.g. what else ran on the machine)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    print(f"CPU: {cpu_description()}", flush=True)
    config = load_config(args.config)
    models = args.models or list(config.models)
    sets = select_sets(manifest("asr_en.jsonl"), telephone_set(), args.limit)
    log = Path("/tmp") / f"bench-prerecorded-{int(time.time())}.log"
    server = start_server(args.config, log, timeout=900)  # a loaded machine loads models slowly
    try:
        runs = [one_run(server, models, sets, {"pulse"}) for _ in range(args.runs)]
    finally:
        server.stop()
    text = report(args, runs, sets)
    print(text)
    if not args.no_write:
        write_section("bench_prerecorded", text)


if __name__ == "__main__":
    main()
