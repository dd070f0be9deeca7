"""Speech regions (Silero VAD) and how much of them word timings cover.

Speech coverage = share of VAD speech time that lies within `tolerance` seconds of a word's
timing. The tolerance absorbs the short pauses inside a VAD region (which the VAD merges up to its
minimum-silence length) and word-boundary jitter; a stretch longer than that with no word is
speech the ASR skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from models.audio import SAMPLE_RATE
from models.transcript import Word

Span = tuple[float, float]


# Quiet stretches keep this much of their edges in the VAD's input, so speech next to them ends as it would.
GATE_MARGIN_SECONDS = 1.0
_GATE_FRAME = 1600  # 0.1 s: the energy gate's resolution


@dataclass(frozen=True)
class SilenceGate:
    """Stretches whose peak stays below `peak_dbfs` for longer than `min_seconds` are not run through the VAD.

    Digital silence (and anything this quiet) holds no speech Silero would find, and Silero costs ~1.4 s per
    5 minutes on 2 cores: a 2-hour silent upload spent ~35 s there. `min_seconds <= 2 * GATE_MARGIN_SECONDS`
    turns the gate off.
    """

    peak_dbfs: float = -60.0
    min_seconds: float = 4.0


def loud_spans(audio: np.ndarray, gate: SilenceGate | None) -> list[tuple[int, int]]:
    """Sample ranges of `audio` the VAD must see: everything but the inside of the gate's quiet stretches."""
    if gate is None or gate.min_seconds <= 2 * GATE_MARGIN_SECONDS or audio.size == 0:
        return [(0, audio.size)] if audio.size else []
    frames = audio.size // _GATE_FRAME
    peaks = np.abs(audio[: frames * _GATE_FRAME]).reshape(frames, _GATE_FRAME).max(axis=1)
    quiet = np.concatenate([[False], peaks <= 10 ** (gate.peak_dbfs / 20), [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))  # quiet runs: [starts[i], ends[i]) in frames
    margin = int(GATE_MARGIN_SECONDS * SAMPLE_RATE / _GATE_FRAME)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if (end - start) * _GATE_FRAME < gate.min_seconds * SAMPLE_RATE:
            continue
        skip_from = (start + margin) * _GATE_FRAME if start > 0 else 0
        skip_to = (end - margin) * _GATE_FRAME if end * _GATE_FRAME < audio.size else audio.size
        if skip_from > cursor:
            spans.append((cursor, skip_from))
        cursor = skip_to
    if cursor < audio.size:
        spans.append((cursor, audio.size))
    return spans


def speech_regions(
    audio: np.ndarray,
    threshold: float = 0.5,
    min_silence_ms: int = 500,
    pad_ms: int = 0,
    max_seconds: float = float("inf"),
    spans: list[tuple[int, int]] | None = None,
) -> list[Span]:
    """(start, end) seconds of each stretch Silero VAD calls speech; only `spans` (sample ranges, e.g. from
    `loud_spans`) are run through it when given."""
    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=min_silence_ms,
        speech_pad_ms=pad_ms,
        max_speech_duration_s=max_seconds,
    )
    regions: list[Span] = []
    for lo, hi in [(0, audio.size)] if spans is None else spans:
        regions += [
            (float(r["start"] + lo) / SAMPLE_RATE, float(r["end"] + lo) / SAMPLE_RATE)
            for r in get_speech_timestamps(audio[lo:hi], options)
        ]
    return regions


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _overlap(a: Sequence[Span], b: Sequence[Span]) -> float:
    total, j = 0.0, 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            total += max(0.0, min(end, b[k][1]) - max(start, b[k][0]))
            k += 1
    return total


def covered_spans(words: Iterable[Span], tolerance: float) -> list[Span]:
    return _merge((s - tolerance, e + tolerance) for s, e in words)


def speech_coverage(regions: Sequence[Span], words: Iterable[Span], tolerance: float = 0.5) -> float:
    """Share of `regions` time within `tolerance` of a word span (1.0 when there is no speech)."""
    speech = _merge(regions)
    total = sum(e - s for s, e in speech)
    if total <= 0:
        return 1.0
    return min(1.0, _overlap(speech, covered_spans(words, tolerance)) / total)


def uncovered_stretches(
    regions: Sequence[Span], words: Iterable[Span], tolerance: float, min_seconds: float
) -> list[Span]:
    """Parts of `regions` at least `min_seconds` long that no word (± tolerance) touches."""
    covered = covered_spans(words, tolerance)
    gaps: list[Span] = []
    for start, end in _merge(regions):
        cursor = start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start - cursor >= min_seconds:
                gaps.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if end - cursor >= min_seconds:
            gaps.append((cursor, end))
    return gaps


def extend_to_speech_end(words: list[Word], regions: Sequence[Span], max_seconds: float) -> None:
    """End the last word of each speech region where the VAD says the speech ends (in place).

    Whisper's cross-attention timings tend to end a phrase's last word early; a region that goes on
    after its last word by at most `max_seconds` is taken to be that word's tail.
    """
    if max_seconds <= 0:
        return
    for start, end in regions:
        inside = [w for w in words if start <= w.end <= end]
        if not inside or any(start <= w.start < end and w.end > end for w in words):
            continue  # no word in the region, or a word already runs past its end
        last = max(inside, key=lambda w: w.end)
        if 0 < end - last.end <= max_seconds:
            last.end = end
