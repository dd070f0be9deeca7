"""A stream's recent audio, addressed by session sample, in bounded memory."""

from __future__ import annotations

import numpy as np

from models.audio import SAMPLE_RATE


class AudioTimeline:
    """The most recent audio of one stream (16 kHz mono float32) on the session's sample timeline.

    At most `capacity` samples are held: appending past it drops the oldest (counted in `dropped`);
    `drop_until` releases audio no longer needed. Slices outside what is held come back shorter.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.total = 0  # samples received
        self.start = 0  # session sample of the first held sample
        self.dropped = 0  # samples dropped because `capacity` was reached
        self._samples = np.zeros(0, np.float32)

    @property
    def held(self) -> int:
        return self._samples.size

    @property
    def held_seconds(self) -> float:
        return self._samples.size / SAMPLE_RATE

    def append(self, samples: np.ndarray) -> None:
        if not samples.size:
            return
        samples = samples.astype(np.float32, copy=False)
        self.total += samples.size
        if samples.size >= self.capacity:
            self.dropped += self._samples.size + samples.size - self.capacity
            self._samples, self.start = samples[-self.capacity :].copy(), self.total - self.capacity
            return
        self._samples = np.concatenate([self._samples, samples]) if self._samples.size else samples.copy()
        excess = self._samples.size - self.capacity
        if excess > 0:
            self.dropped += excess
            self.drop_until(self.start + excess)

    def drop_until(self, sample: int) -> None:
        """Release the audio before session sample `sample`."""
        cut = sample - self.start
        if cut > 0:
            self._samples = self._samples[cut:]
            self.start = sample

    def slice(self, start: int, end: int) -> np.ndarray:
        """A copy of the held audio between two session samples."""
        return self._samples[max(0, start - self.start) : max(0, end - self.start)].copy()

    def slice_seconds(self, start: float, end: float) -> tuple[float, np.ndarray]:
        """The held audio between two session times, with the time of its first sample."""
        lo = max(int(start * SAMPLE_RATE), self.start)
        hi = max(min(int(end * SAMPLE_RATE), self.total), lo)
        return lo / SAMPLE_RATE, self.slice(lo, hi)
