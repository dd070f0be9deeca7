"""Gender/emotion scorers: the embedded linear head on the shared track, or a transformers audio classifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from models.audio import SAMPLE_RATE
from models.speakers.config import ClassifierConfig
from models.speakers.heads import LinearHead, track_features
from models.speakers.track import EmbeddingTrack


@dataclass
class ScoredSpan:
    """Label scores a classifier gave to one stretch of speech (transformers backend)."""

    start: float
    end: float
    scores: np.ndarray  # over the scorer's `labels`


class Scorer(Protocol):
    labels: tuple[str, ...]
    needs_audio: bool

    def score_chunk(self, audio: np.ndarray, offset: float, regions: list[tuple[int, int]]) -> list[ScoredSpan]: ...

    def score(
        self, track: EmbeddingTrack, spans: list[ScoredSpan], index: np.ndarray, ranges: list[tuple[float, float]]
    ) -> np.ndarray | None: ...


class EmbeddedScorer:
    """Linear head over pooled track windows; `keep` drops auxiliary classes (e.g. neutral) from the output."""

    needs_audio = False

    def __init__(self, config: ClassifierConfig, keep: tuple[str, ...]) -> None:
        self._head = LinearHead.load(config.weights)
        missing = [label for label in keep if label not in self._head.labels]
        if missing:
            raise ValueError(f"weights {config.weights} lack labels {missing}")
        self.labels = keep
        self._columns = [self._head.labels.index(label) for label in keep]

    def score_chunk(self, audio: np.ndarray, offset: float, regions: list[tuple[int, int]]) -> list[ScoredSpan]:
        return []

    def score(
        self, track: EmbeddingTrack, spans: list[ScoredSpan], index: np.ndarray, ranges: list[tuple[float, float]]
    ) -> np.ndarray | None:
        features = track_features(track, index)
        if features is None:
            return None
        return self._head.proba(features)[0, self._columns]


class TransformersScorer:
    """A transformers audio-classification checkpoint (path or pre-fetched hub id); labels mapped to ours.

    Model labels absent from `label_map` are dropped; several model labels may map to one of ours
    (their probabilities add). Scores are computed per speech region as chunks arrive, so no audio
    is kept until the end of the request.
    """

    needs_audio = True

    def __init__(self, config: ClassifierConfig, keep: tuple[str, ...]) -> None:
        if not config.model:
            raise ValueError("transformers backend needs `model` (a local path or a hub id fetched at deploy time)")
        try:
            import torch
            from transformers import AutoFeatureExtractor, AutoModelForAudioClassification
        except ImportError as exc:
            raise RuntimeError("the transformers backend needs `transformers` installed") from exc
        self._torch = torch
        self._extractor = AutoFeatureExtractor.from_pretrained(config.model, local_files_only=True)
        self._model = AutoModelForAudioClassification.from_pretrained(config.model, local_files_only=True).eval()
        self._model.to(config.device)
        self._device = config.device
        self._max_samples = int(config.max_segment_seconds * SAMPLE_RATE)
        self.labels = keep
        id2label = {int(i): str(name) for i, name in self._model.config.id2label.items()}
        unknown = sorted(set(config.label_map.values()) - set(keep))
        if unknown:
            raise ValueError(f"label_map targets {unknown} are not among {list(keep)}")
        # (n_model_labels, n_our_labels) 0/1 matrix: model probabilities → our label scores.
        self._mapping = np.zeros((len(id2label), len(keep)), dtype=np.float32)
        for i, name in id2label.items():
            target = config.label_map.get(name)
            if target is not None:
                self._mapping[i, keep.index(target)] = 1.0
        if not self._mapping.any():
            raise ValueError(f"label_map maps none of the model's labels {sorted(id2label.values())} to {list(keep)}")

    def classify(self, audio: np.ndarray) -> np.ndarray:
        """Our-label scores for one stretch of 16 kHz audio."""
        inputs = self._extractor(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        with self._torch.inference_mode():
            logits = self._model(**{k: v.to(self._device) for k, v in inputs.items()}).logits[0]
        probs = self._torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return probs @ self._mapping

    def score_chunk(self, audio: np.ndarray, offset: float, regions: list[tuple[int, int]]) -> list[ScoredSpan]:
        spans: list[ScoredSpan] = []
        for start, end in regions:
            for a in range(start, end, self._max_samples):
                b = min(end, a + self._max_samples)
                spans.append(ScoredSpan(offset + a / SAMPLE_RATE, offset + b / SAMPLE_RATE, self.classify(audio[a:b])))
        return spans

    def score(
        self, track: EmbeddingTrack, spans: list[ScoredSpan], index: np.ndarray, ranges: list[tuple[float, float]]
    ) -> np.ndarray | None:
        # Each span counts by how much of it falls inside the requested time ranges.
        weights = np.array([sum(max(0.0, min(e, s.end) - max(b, s.start)) for b, e in ranges) for s in spans])
        if weights.size == 0 or weights.sum() <= 0:
            return None
        return np.average(np.stack([s.scores for s in spans]), axis=0, weights=weights)


def load_scorer(config: ClassifierConfig, keep: tuple[str, ...]) -> Scorer:
    if config.backend == "embedded":
        return EmbeddedScorer(config, keep)
    if config.backend == "transformers":
        return TransformersScorer(config, keep)
    raise ValueError(f"unknown classifier backend {config.backend!r}; available: embedded, transformers")
