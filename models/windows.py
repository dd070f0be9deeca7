"""Speech windows: VAD regions packed into ≤ 30 s decoder windows, and window time back to file time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.coverage import SAMPLE_RATE, Span

WINDOW_SECONDS = 30.0


@dataclass(frozen=True)
class Window:
    """Speech regions decoded together: their audio is concatenated, silence between them left out."""

    regions: tuple[Span, ...]

    @property
    def duration(self) -> float:
        return sum(end - start for start, end in self.regions)

    def audio(self, chunk: np.ndarray) -> np.ndarray:
        return np.concatenate([chunk[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in self.regions])

    def to_file_time(self, t: float) -> float:
        """Seconds in the concatenated window → seconds in the chunk it came from."""
        elapsed = 0.0
        for start, end in self.regions:
            length = end - start
            if t <= elapsed + length:
                return start + max(0.0, t - elapsed)
            elapsed += length
        return self.regions[-1][1]


def pad_regions(regions: list[Span], pad_seconds: float, duration: float) -> list[Span]:
    """Widen each region by `pad_seconds` (clipped to the chunk) and merge the ones that touch."""
    merged: list[list[float]] = []
    for start, end in regions:
        s, e = max(0.0, start - pad_seconds), min(duration, end + pad_seconds)
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def plan_windows(regions: list[Span], limit: float = WINDOW_SECONDS) -> list[Window]:
    """Pack consecutive regions into windows of at most `limit` seconds of speech, in order.

    A region longer than the limit is cut into limit-long pieces.
    """
    pieces: list[Span] = []
    for start, end in regions:
        while end - start > limit:
            pieces.append((start, start + limit))
            start += limit
        if end - start > 0.0:
            pieces.append((start, end))
    windows: list[Window] = []
    current: list[Span] = []
    for piece in pieces:
        if current and sum(e - s for s, e in current) + piece[1] - piece[0] > limit:
            windows.append(Window(tuple(current)))
            current = []
        current.append(piece)
    if current:
        windows.append(Window(tuple(current)))
    return windows
