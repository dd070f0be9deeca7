"""Evaluate the gender stage on the RAVDESS clips (the head was trained on LibriSpeech only).

Prints accuracy and the added latency per minute of audio, and writes the `gender` section of
docs/benchmarks.md. Usage: python scripts/eval_gender.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from models.speakers import SpeakerAnalyzer, SpeakerStagesConfig  # noqa: E402
from models.speakers.training import load_clip, read_manifest, stage_latency, write_section  # noqa: E402
from models.transcript import Transcript  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="evaluate only the first N clips")
    args = parser.parse_args()
    analyzer = SpeakerAnalyzer(SpeakerStagesConfig())  # embedding.threads = 2
    rows = [r for r in read_manifest("gender.jsonl") if r["audio"].startswith("emotion/") and r.get("gender")]
    rows = rows[: args.limit] if args.limit else rows
    correct, seconds = 0, 0.0
    clips: list[np.ndarray] = []
    confusion = {(t, p): 0 for t in ("male", "female") for p in ("male", "female")}
    for row in rows:
        audio = load_clip(row["audio"])
        clips.append(audio)
        job = analyzer.start(diarize=False, gender=True, emotion=False)
        job.add_chunk(audio, 0.0)
        transcript = Transcript(text="")
        job.finish(transcript)
        seconds += audio.size / 16000
        confusion[(row["gender"], transcript.gender or "male")] += 1
        correct += transcript.gender == row["gender"]
    accuracy = correct / len(rows)
    # Latency on one long request (all clips back to back), as a real file would arrive.
    per_minute = stage_latency(analyzer, np.concatenate(clips), diarize=False, gender=True, emotion=False)
    lines = [
        "## Gender (embedded head, trained on LibriSpeech only)",
        "",
        f"`scripts/eval_gender.py` on {len(rows)} RAVDESS clips ({seconds / 60:.1f} min, 24 actors, 72 male / 72 female "
        "when complete). Target ≥ 95 %.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| accuracy | **{accuracy:.1%}** ({correct}/{len(rows)}) |",
        f"| true male → predicted male / female | {confusion[('male', 'male')]} / {confusion[('male', 'female')]} |",
        f"| true female → predicted male / female | {confusion[('female', 'male')]} / {confusion[('female', 'female')]} |",
        f"| added latency (VAD + embeddings + prosody + head, 2 threads, one long request) | {per_minute:.2f} s per minute of audio |",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("gender", body)


if __name__ == "__main__":
    main()
