"""Evaluate the embedded emotion head on held-out RAVDESS actors (actor-disjoint cross-validation).

Each fold trains the head (same recipe as scripts/train_emotion.py) on the other actors and scores
the held-out ones. Prints accuracy over the five Pulse labels with a confusion matrix and the added
latency per minute of audio; writes the `emotion` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.speakers import EMOTION_LABELS, SpeakerAnalyzer, SpeakerStagesConfig  # noqa: E402
from models.speakers.training import (  # noqa: E402
    EMOTION_CLASSES,
    emotion_dataset,
    fit_head,
    load_clip,
    read_manifest,
    stage_latency,
    write_section,
)

FOLDS = 6
DEFAULT_C = 0.05


def actor_folds(actors: np.ndarray, folds: int) -> list[np.ndarray]:
    """Disjoint actor groups; consecutive ids alternate sex in RAVDESS, so each group mixes both."""
    ids = np.unique(actors)
    return [ids[i::folds] for i in range(folds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=DEFAULT_C)
    args = parser.parse_args()
    analyzer = SpeakerAnalyzer(SpeakerStagesConfig())
    features, labels, actors, _ = emotion_dataset(analyzer.embedder, analyzer.config)
    y = np.array(labels)
    five = np.array([EMOTION_CLASSES.index(label) for label in EMOTION_LABELS])
    predicted = np.empty(len(y), dtype=object)
    predicted6 = np.empty(len(y), dtype=object)
    for held in actor_folds(actors, FOLDS):
        test = np.isin(actors, held)
        head = fit_head(features[~test], list(y[~test]), EMOTION_CLASSES, args.c)
        proba = head.proba(features[test])
        predicted[test] = [EMOTION_LABELS[i] for i in proba[:, five].argmax(axis=1)]
        predicted6[test] = [EMOTION_CLASSES[i] for i in proba.argmax(axis=1)]
    scored = np.isin(y, EMOTION_LABELS)
    accuracy = float(np.mean(predicted[scored] == y[scored]))
    accuracy6 = float(np.mean(predicted6 == y))
    majority = max(np.mean(y[scored] == label) for label in EMOTION_LABELS)
    header = "| true \\ predicted | " + " | ".join(EMOTION_LABELS) + " |"
    rows = [header, "|---" * (len(EMOTION_LABELS) + 1) + "|"]
    for truth in EMOTION_LABELS:
        counts = [int(np.sum((y == truth) & (predicted == guess))) for guess in EMOTION_LABELS]
        rows.append(f"| {truth} | " + " | ".join(map(str, counts)) + " |")
    # Latency on one long request (the clips back to back), as a real file would arrive.
    audio = np.concatenate([load_clip(r["audio"]) for r in read_manifest("emotion.jsonl")])
    per_minute = stage_latency(analyzer, audio, diarize=False, gender=False, emotion=True)
    body = "\n".join(
        [
            "## Emotion (embedded head on RAVDESS, actor-disjoint)",
            "",
            f"`scripts/eval_emotion.py`: {FOLDS}-fold cross-validation over {len(np.unique(actors))} RAVDESS actors "
            "(each fold's actors never seen in training). Neutral+calm train an auxiliary `neutral` class "
            "whose mass is dropped from the output; surprised is excluded. RAVDESS is CC BY-NC-SA 4.0.",
            "",
            "| metric | value |",
            "|---|---|",
            f"| accuracy over the five labels (argmax of the five scores) | **{accuracy:.1%}** "
            f"({int(scored.sum())} clips; majority class {majority:.1%}) |",
            f"| accuracy over six classes incl. neutral | {accuracy6:.1%} ({len(y)} clips) |",
            f"| added latency (VAD + embeddings + prosody + head, 2 threads, one long request) | {per_minute:.2f} s per minute of audio |",
            "",
            "Confusion matrix (held-out actors, five labels):",
            "",
            *rows,
        ]
    )
    print(body)
    write_section("emotion", body)


if __name__ == "__main__":
    main()
