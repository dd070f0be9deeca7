"""The live path's bounded audio buffer: held audio is addressed by session sample, the oldest dropped."""

from __future__ import annotations

import numpy as np

from models.audio import SAMPLE_RATE as SR
from models.streaming.timeline import AudioTimeline


def ramp(start: int, size: int) -> np.ndarray:
    """Samples whose values are their session sample numbers (exact in float32 below 2**24)."""
    return np.arange(start, start + size, dtype=np.float32)


def test_small_appends_past_capacity_drop_the_oldest_and_count_them() -> None:
    timeline = AudioTimeline(10)
    for n in range(4):
        timeline.append(ramp(4 * n, 4))
    assert (timeline.total, timeline.start, timeline.held, timeline.dropped) == (16, 6, 10, 6)
    assert timeline.slice(0, 16).tolist() == list(range(6, 16))  # what is gone comes back shorter
    assert timeline.slice(8, 11).tolist() == [8, 9, 10]


def test_one_append_larger_than_capacity_keeps_its_end() -> None:
    timeline = AudioTimeline(10)
    timeline.append(ramp(0, 3))
    timeline.append(ramp(3, 25))
    assert (timeline.total, timeline.start, timeline.held, timeline.dropped) == (28, 18, 10, 18)
    assert timeline.slice(18, 28).tolist() == list(range(18, 28))


def test_dropping_released_audio_is_not_counted_as_lost() -> None:
    timeline = AudioTimeline(100)
    timeline.append(ramp(0, 50))
    timeline.drop_until(20)
    timeline.drop_until(10)  # already released: nothing happens
    assert (timeline.start, timeline.held, timeline.dropped) == (20, 30, 0)
    assert timeline.slice(25, 27).tolist() == [25, 26]


def test_slices_by_time_say_where_the_held_audio_starts() -> None:
    timeline = AudioTimeline(2 * SR)
    timeline.append(ramp(0, 3 * SR))  # the first second is gone
    offset, audio = timeline.slice_seconds(0.5, 1.5)
    assert offset == 1.0 and audio.size == SR // 2 and audio[0] == SR
    offset, audio = timeline.slice_seconds(2.5, 9.0)  # past the end: up to what arrived
    assert offset == 2.5 and audio.size == SR // 2
