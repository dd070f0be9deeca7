"""Helpers shared by the train/eval scripts: shared-data location, clip features, fitting a linear head."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from models.speakers.config import SpeakerStagesConfig
from models.speakers.embedder import ResemblyzerEmbedder
from models.speakers.heads import LinearHead, pooled_features
from models.speakers.track import build_track

REPO = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    """`../shared/data` beside the repo, or `$PULSE_SHARED_DATA`."""
    return Path(os.environ.get("PULSE_SHARED_DATA") or REPO.parent / "shared" / "data")


def read_manifest(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (shared_data() / name).read_text().splitlines() if line.strip()]


def load_clip(relative: str) -> np.ndarray:
    from models.audio import decode_audio

    return decode_audio(str(shared_data() / relative))


def clip_features(audio: np.ndarray, embedder: ResemblyzerEmbedder, config: SpeakerStagesConfig) -> np.ndarray:
    """The same pooled features the analyzer computes for a whole file without diarization."""
    embedding = config.embedding.for_request(diarize=False)
    track = build_track(audio, 0.0, embedder, embedding, config.diarization.vad)
    if len(track) == 0:
        whole = [(0, int(audio.size))]
        track = build_track(audio, 0.0, embedder, embedding, config.diarization.vad, whole)
    return pooled_features(track.vectors, track.prosody)


def fit_head(features: np.ndarray, labels: list[str], classes: tuple[str, ...], c: float) -> LinearHead:
    """L2-regularised multinomial logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression

    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    y = np.array([classes.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit((features - mean) / scale, y)
    weight, bias = model.coef_, model.intercept_
    if len(classes) == 2:  # sklearn returns one row for binary problems: expand to a two-way softmax
        weight = np.vstack([-weight[0] / 2, weight[0] / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    return LinearHead(classes, mean, scale, weight, bias)


def write_section(name: str, body: str) -> None:
    """Replace (or append) the `<!-- BEGIN name -->` … `<!-- END name -->` section of docs/benchmarks.md."""
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"<!-- BEGIN {name} -->\n{body.rstrip()}\n<!-- END {name} -->"
    pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# RAVDESS's eight classes onto the five Pulse labels. Neutral and calm become an auxiliary
# `neutral` class: the head learns what unemotional speech sounds like, and its probability mass
# is dropped from the output so neutral speech scores low on all five. Surprised has no Pulse
# counterpart (it sits between fear and happiness), so those clips are left out of training.
RAVDESS_TO_PULSE = {
    "happy": "happiness",
    "sad": "sadness",
    "disgust": "disgust",
    "fearful": "fear",
    "angry": "anger",
    "neutral": "neutral",
    "calm": "neutral",
}
EMOTION_CLASSES = ("happiness", "sadness", "disgust", "fear", "anger", "neutral")


def emotion_dataset(
    embedder: ResemblyzerEmbedder, config: SpeakerStagesConfig
) -> tuple[np.ndarray, list[str], np.ndarray, list[float]]:
    """(features, Pulse labels, actor ids, durations) for the RAVDESS clips that map onto our classes."""
    rows = [r for r in read_manifest("emotion.jsonl") if r["emotion"] in RAVDESS_TO_PULSE]
    audio = [load_clip(r["audio"]) for r in rows]
    features = np.stack([clip_features(a, embedder, config) for a in audio])
    labels = [RAVDESS_TO_PULSE[r["emotion"]] for r in rows]
    return features, labels, np.array([int(r["actor"]) for r in rows]), [a.size / 16000 for a in audio]


def fit_mean_difference_head(
    features: np.ndarray, labels: list[str], classes: tuple[str, str], dims: int
) -> LinearHead:
    """Two-class head on the first `dims` features along the difference of the class means.

    This is LDA with full covariance shrinkage. With only ten training speakers a logistic regression
    learns who is speaking rather than their sex (75 % on RAVDESS); the mean direction generalises.
    The logit scale makes one standard deviation of training projections worth two logits.
    """
    x = features[:, :dims]
    first = x[[label == classes[0] for label in labels]].mean(axis=0)
    second = x[[label == classes[1] for label in labels]].mean(axis=0)
    direction = second - first
    projections = x @ direction
    threshold = 0.5 * ((first @ direction) + (second @ direction))
    gain = 2.0 / (projections.std() + 1e-9)
    weight = np.zeros((2, features.shape[1]))
    weight[1, :dims] = gain * direction / 2
    weight[0, :dims] = -gain * direction / 2
    bias = np.array([gain * threshold / 2, -gain * threshold / 2])
    return LinearHead(classes, np.zeros(features.shape[1]), np.ones(features.shape[1]), weight, bias)


def stage_latency(analyzer: Any, audio: np.ndarray, chunk_seconds: float = 300.0, **flags: bool) -> float:
    """Seconds of compute per minute of audio for one request with the given stage flags.

    The audio is fed in chunks as the pre-recorded pipeline does; the embedder runs on its
    configured threads (2 by default).
    """
    import time

    from models.transcript import Transcript

    step = int(chunk_seconds * 16000)
    began = time.perf_counter()
    job = analyzer.start(**flags)
    for start in range(0, audio.size, step):
        job.add_chunk(audio[start : start + step], start / 16000)
    job.finish(Transcript(text=""))
    return (time.perf_counter() - began) / (audio.size / 16000 / 60)
