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

from models.audio import SAMPLE_RATE
from models.streaming.config import VadConfig
from models.streaming.vad import VAD_WINDOW, StreamingVad
from models.transcript import Word

Span = tuple[float, float]


# Quiet stretches keep this much of their edges in the VAD's input, so speech next to them ends as it would.
GATE_MARGIN_SECONDS = 1.0
_GATE_FRAME = 1600  # 0.1 s: the energy gate's resolution
# Silero's LSTM state starts afresh after this much quiet (the live VAD's default too).
RESET_AFTER_SILENCE_MS = 2000


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
    max_seconds: float = float("inf"),
    spans: list[tuple[int, int]] | None = None,
    reset_after_silence_ms: int = RESET_AFTER_SILENCE_MS,
) -> list[Span]:
    """(start, end) seconds of each stretch Silero VAD calls speech; only `spans` (sample ranges, e.g. from
    `loud_spans`) are run through it when given (see `speech_spans`)."""
    rule = SegmentRule.silero(threshold, min_silence_ms, max_seconds)
    return [
        (float(start) / SAMPLE_RATE, float(end) / SAMPLE_RATE)
        for lo, hi in ([(0, audio.size)] if spans is None else spans)
        for start, end in speech_spans(audio[lo:hi], rule, reset_after_silence_ms, offset=int(lo))
    ]


def speech_spans(
    audio: np.ndarray, rule: SegmentRule, reset_after_silence_ms: int = RESET_AFTER_SILENCE_MS, offset: int = 0
) -> list[tuple[int, int]]:
    """Sample ranges (+ `offset`) of `audio` Silero VAD calls speech under `rule`.

    The model's LSTM state is cleared after `reset_after_silence_ms` of quiet (0: never, as faster-whisper's
    `get_speech_timestamps`, whose regions these then equal): carried through a file it drifts, and quiet speech
    after a pause stops counting (AMI excerpts through the phone line: `trn07` 48 -> 92 windows above 0.35, none
    outside the reference turns).
    """
    vad = VadConfig(
        threshold=rule.threshold, neg_threshold=rule.neg_threshold, reset_after_silence_ms=reset_after_silence_ms
    )
    padded = np.pad(audio, (0, VAD_WINDOW - audio.size % VAD_WINDOW))  # always one window more, as Silero's caller
    probabilities = [frame.probability for frame in StreamingVad(vad).feed(padded)]
    return [(start + offset, end + offset) for start, end in rule.segments(probabilities, audio.size)]


@dataclass(frozen=True)
class SegmentRule:
    """Silero's rule from window probabilities to speech stretches (in samples).

    Speech starts at a window at or above `threshold` and ends where `min_silence` samples of windows below
    `neg_threshold` begin. A stretch that outgrows `max_length` ends at the start of its last pause longer than
    `SPLIT_PAUSE` samples (speech resumes where that pause ended, if it did), or right there when it had none.
    """

    threshold: float
    neg_threshold: float
    min_silence: int
    max_length: float = float("inf")
    min_speech: int = 0  # a stretch must be longer than this to count
    pad: int = 0  # each stretch widened by this much (half the gap when two would meet), within the audio

    SPLIT_PAUSE = 98 * SAMPLE_RATE // 1000

    @classmethod
    def silero(
        cls,
        threshold: float,
        min_silence_ms: int,
        max_seconds: float = float("inf"),
        min_speech_ms: int = 0,
        pad_ms: int = 0,
    ) -> SegmentRule:
        """The rule as Silero's options name it (neg_threshold 0.15 below threshold)."""
        pad = pad_ms * SAMPLE_RATE // 1000
        return cls(
            threshold,
            max(threshold - 0.15, 0.01),
            min_silence_ms * SAMPLE_RATE // 1000,
            max_seconds * SAMPLE_RATE - VAD_WINDOW - 2 * pad,
            min_speech_ms * SAMPLE_RATE // 1000,
            pad,
        )

    def segments(self, probabilities: Sequence[float], total: int) -> list[tuple[int, int]]:
        return self._padded(self._stretches(probabilities, total), total)

    def _padded(self, found: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
        if not self.pad or not found:
            return found
        starts, ends = [s for s, _ in found], [e for _, e in found]
        starts[0] = max(0, starts[0] - self.pad)
        for i in range(len(found) - 1):
            gap = starts[i + 1] - ends[i]
            widen = gap // 2 if gap < 2 * self.pad else self.pad
            ends[i] += widen
            starts[i + 1] = max(0, starts[i + 1] - widen)
        ends[-1] = min(total, ends[-1] + self.pad)
        return list(zip(starts, ends, strict=True))

    def _stretches(self, probabilities: Sequence[float], total: int) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        start: int | None = None
        quiet_from = 0  # where the current run of quiet windows inside speech began (0: none)
        pause_start = resume = 0  # the last pause long enough to split at, and where speech resumed after it
        for i, p in enumerate(probabilities):
            t = i * VAD_WINDOW
            if p >= self.threshold and quiet_from:
                quiet_from = 0
                if resume < pause_start:
                    resume = t
            if p >= self.threshold and start is None:
                start = t
                continue
            if start is not None and t - start > self.max_length:
                if pause_start:
                    found.append((start, pause_start))
                    start = None if resume < pause_start else resume
                    pause_start = resume = quiet_from = 0
                else:
                    found.append((start, t))
                    start, pause_start, resume, quiet_from = None, 0, 0, 0
                    continue
            if p < self.neg_threshold and start is not None:
                quiet_from = quiet_from or t
                if t - quiet_from > self.SPLIT_PAUSE:
                    pause_start = quiet_from
                if t - quiet_from >= self.min_silence:
                    if quiet_from - start > self.min_speech:
                        found.append((start, quiet_from))
                    start, pause_start, resume, quiet_from = None, 0, 0, 0
        if start is not None and total - start > self.min_speech:
            found.append((start, total))
        return found


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
