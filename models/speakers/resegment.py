"""Resegmentation: refine clusters against centroids, spread window posteriors onto a frame grid, cut turns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.speakers.config import DiarizationConfig
from models.speakers.track import EmbeddingTrack


@dataclass
class SpeakerSegment:
    """One speaker turn on the file timeline; `speaker` numbered in order of first appearance."""

    start: float
    end: float
    speaker: int
    confidence: float


@dataclass
class FramePosteriors:
    """Speaker posteriors on a regular grid; rows outside speech are all zero."""

    frame: float
    probs: np.ndarray  # (frames, speakers)
    speech: np.ndarray  # (frames,) bool

    def span(self, start: float, end: float) -> np.ndarray:
        """Mean posterior over [start, end]; falls back to the nearest speech frame when none is inside."""
        n = len(self.speech)
        if n == 0 or not self.speech.any():
            return np.zeros(self.probs.shape[1])
        lo = min(max(int(start / self.frame), 0), n - 1)
        hi = min(max(int(np.ceil(end / self.frame)), lo + 1), n)
        inside = np.flatnonzero(self.speech[lo:hi]) + lo
        if inside.size == 0:
            speech = np.flatnonzero(self.speech)
            nearest = speech[np.argmin(np.abs(speech - (lo + hi) / 2))]
            inside = np.array([nearest])
        return self.probs[inside].mean(axis=0)


def centroids_of(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    cents = np.stack(
        [vectors[labels == j].mean(axis=0) if np.any(labels == j) else np.zeros(vectors.shape[1]) for j in range(k)]
    )
    return cents / (np.linalg.norm(cents, axis=1, keepdims=True) + 1e-9)


def refine(track: EmbeddingTrack, labels: np.ndarray, config: DiarizationConfig, min_k: int) -> np.ndarray:
    """Drop speakers with too little speech, then re-assign windows to the nearest centroid a few times."""
    if labels.size == 0:
        return labels
    labels = _compact(labels)
    seconds = track.times[:, 1] - track.times[:, 0]
    for _ in range(max(1, config.resegment_iterations)):
        k = int(labels.max()) + 1
        talk = np.array([seconds[labels == j].sum() for j in range(k)])
        # Hop-overlapping windows double-count time, so scale by hop/window to approximate real speech.
        overlap = min(1.0, config_hop_ratio(track))
        keep = np.flatnonzero(talk * overlap >= config.min_speaker_seconds)
        if keep.size < min(min_k, k):
            keep = np.argsort(-talk)[: min(min_k, k)]
        if keep.size == 0:
            keep = np.array([int(np.argmax(talk))])
        cents = centroids_of(track.vectors, labels, k)[keep]
        new = np.argmax(track.vectors @ cents.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = _compact(new)
    return _merge_close(track.vectors, labels, config.merge_threshold, min_k)


def _merge_close(vectors: np.ndarray, labels: np.ndarray, threshold: float, min_k: int) -> np.ndarray:
    """Merge the two most similar speakers while their centroids are closer than `threshold` (over-splits)."""
    while labels.size and labels.max() + 1 > max(min_k, 1):
        k = int(labels.max()) + 1
        cents = centroids_of(vectors, labels, k)
        sims = cents @ cents.T
        np.fill_diagonal(sims, -1.0)
        a, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[a, b] < threshold:
            break
        labels = _compact(np.where(labels == max(a, b), min(a, b), labels))
    return labels


def config_hop_ratio(track: EmbeddingTrack) -> float:
    """Speech seconds per window-second: union of windows divided by their summed length."""
    if len(track) == 0:
        return 1.0
    total = float(np.sum(track.times[:, 1] - track.times[:, 0]))
    union = float(sum(e - s for s, e in track.regions))
    return union / total if total > 0 else 1.0


def _compact(labels: np.ndarray) -> np.ndarray:
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype(int)


def frame_posteriors(track: EmbeddingTrack, labels: np.ndarray, config: DiarizationConfig) -> FramePosteriors:
    """Soft speaker posteriors per frame: every covering window votes with its softmax over centroids."""
    frame = config.frame_seconds
    n_frames = int(np.ceil(track.duration / frame)) + 1
    k = int(labels.max()) + 1 if labels.size else 1
    probs = np.zeros((n_frames, k))
    counts = np.zeros(n_frames)
    speech = np.zeros(n_frames, dtype=bool)
    for start, end in track.regions:
        speech[int(start / frame) : int(np.ceil(end / frame))] = True
    if labels.size:
        cents = centroids_of(track.vectors, labels, k)
        logits = (track.vectors @ cents.T) / config.posterior_temperature
        post = np.exp(logits - logits.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        for (start, end), p in zip(track.times, post, strict=True):
            lo, hi = int(start / frame), int(np.ceil(end / frame))
            probs[lo:hi] += p
            counts[lo:hi] += 1
        covered = counts > 0
        probs[covered] /= counts[covered, None]
        # Speech frames no window reached (very short regions) borrow the nearest covered frame.
        gaps = np.flatnonzero(speech & ~covered)
        have = np.flatnonzero(covered)
        if gaps.size and have.size:
            nearest = have[np.clip(np.searchsorted(have, gaps), 0, have.size - 1)]
            probs[gaps] = probs[nearest]
    else:
        probs[speech, 0] = 1.0
    probs[~speech] = 0.0
    return FramePosteriors(frame, _smooth(probs, speech, config.smoothing_frames), speech)


def _smooth(probs: np.ndarray, speech: np.ndarray, width: int) -> np.ndarray:
    """Moving-average the posteriors inside speech so one stray window cannot flip a turn."""
    if width <= 1 or not speech.any():
        return probs
    kernel = np.ones(width) / width
    out = np.stack([np.convolve(probs[:, j], kernel, mode="same") for j in range(probs.shape[1])], axis=1)
    norm = out.sum(axis=1, keepdims=True)
    out = np.where(norm > 0, out / np.maximum(norm, 1e-9), 0.0)
    out[~speech] = 0.0
    return out


def segments_from_frames(
    post: FramePosteriors, overlap_threshold: float = 1.0, overlap_min_frames: int = 4
) -> list[SpeakerSegment]:
    """Runs of the argmax speaker over speech frames plus overlap spans, numbered by first appearance."""
    raw: list[tuple[float, float, int, float]] = []
    if not post.speech.any():
        return []
    best = np.argmax(post.probs, axis=1)
    run_start = None
    for i in range(len(best) + 1):
        boundary = i == len(best) or not post.speech[i] or (run_start is not None and best[i] != best[run_start])
        if run_start is not None and boundary:
            label = int(best[run_start])
            raw.append((run_start * post.frame, i * post.frame, label, float(post.probs[run_start:i, label].mean())))
            run_start = None
        if i < len(best) and post.speech[i] and run_start is None:
            run_start = i
    for start, end, label in overlap_segments(post, overlap_threshold, overlap_min_frames):
        lo, hi = int(round(start / post.frame)), int(round(end / post.frame))
        raw.append((start, end, label, float(post.probs[lo:hi, label].mean())))
    raw.sort(key=lambda seg: (seg[0], seg[1]))
    order: dict[int, int] = {}
    return [SpeakerSegment(s, e, order.setdefault(lab, len(order)), c) for s, e, lab, c in raw]


def overlap_segments(post: FramePosteriors, threshold: float, min_frames: int) -> list[tuple[float, float, int]]:
    """Second-speaker spans: speech frames where the runner-up posterior stays above `threshold`.

    A window over two overlapping voices embeds between them, so a strong runner-up posterior is
    evidence of overlapped speech. Returns raw (start, end, raw_label) triples to be renumbered.
    """
    if post.probs.shape[1] < 2 or threshold >= 1.0:
        return []
    order = np.argsort(-post.probs, axis=1)
    second = order[:, 1]
    strength = np.take_along_axis(post.probs, second[:, None], axis=1)[:, 0]
    active = post.speech & (strength >= threshold)
    spans: list[tuple[float, float, int]] = []
    i, n = 0, len(active)
    while i < n:
        if not active[i]:
            i += 1
            continue
        j = i
        while j < n and active[j] and second[j] == second[i]:
            j += 1
        if j - i >= min_frames:
            spans.append((i * post.frame, j * post.frame, int(second[i])))
        i = j
    return spans
