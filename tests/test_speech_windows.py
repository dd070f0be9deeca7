"""Speech windows and coverage: packing VAD regions, mapping times back, finding skipped speech."""

from __future__ import annotations

import numpy as np
import pytest

from models.coverage import (
    SAMPLE_RATE,
    extend_to_speech_end,
    speech_coverage,
    speech_regions,
    uncovered_stretches,
)
from models.transcript import Word
from models.windows import Window, pad_regions, plan_windows
from tests.helpers import JFK, load_pcm


def test_windows_hold_at_most_thirty_seconds_in_order() -> None:
    regions = [(0.0, 12.0), (13.0, 25.0), (26.0, 70.0), (71.0, 72.0)]
    windows = plan_windows(regions)
    assert all(w.duration <= 30.0 + 1e-9 for w in windows)
    flat = [r for w in windows for r in w.regions]
    assert flat == sorted(flat)
    assert sum(w.duration for w in windows) == pytest.approx(12 + 12 + 44 + 1)


def test_window_time_maps_back_across_the_left_out_silence() -> None:
    window = Window(((1.0, 3.0), (10.0, 12.0)))
    assert window.to_file_time(0.5) == pytest.approx(1.5)
    assert window.to_file_time(2.5) == pytest.approx(10.5)
    assert window.to_file_time(99.0) == pytest.approx(12.0)
    audio = np.arange(20 * SAMPLE_RATE, dtype=np.float32)
    assert window.audio(audio).size == 4 * SAMPLE_RATE


def test_padding_merges_touching_regions_and_stays_inside_the_chunk() -> None:
    assert pad_regions([(0.1, 1.0), (1.5, 2.0), (5.0, 5.9)], 0.4, 6.0) == [(0.0, 2.4), (4.6, 6.0)]


def test_coverage_counts_speech_near_words() -> None:
    regions = [(0.0, 10.0)]
    assert speech_coverage(regions, [(0.2, 9.8)]) == pytest.approx(1.0)
    # The first five seconds have no word: a skipped greeting.
    assert speech_coverage(regions, [(5.5, 9.8)], tolerance=0.5) == pytest.approx(0.5)
    assert speech_coverage([], []) == 1.0


def test_uncovered_stretches_find_the_skipped_part_only() -> None:
    regions = [(0.0, 10.0), (12.0, 14.0)]
    words = [(5.5, 6.0), (6.1, 9.8), (12.1, 13.9)]
    assert uncovered_stretches(regions, words, tolerance=0.5, min_seconds=0.5) == [(0.0, 5.0)]
    assert uncovered_stretches(regions, words + [(0.0, 5.0)], tolerance=0.5, min_seconds=0.5) == []


def test_vad_regions_of_real_speech_and_of_silence() -> None:
    pcm = load_pcm(JFK)
    regions = speech_regions(pcm)
    assert regions and all(0.0 <= s < e <= pcm.size / SAMPLE_RATE for s, e in regions)
    assert speech_regions(np.zeros(5 * SAMPLE_RATE, dtype=np.float32)) == []


def test_the_last_word_of_a_region_ends_with_the_speech() -> None:
    words = [Word("wait", 3.8, 4.1, 0.9), Word("longer.", 4.1, 4.75, 0.9), Word("next", 8.0, 8.4, 0.9)]
    extend_to_speech_end(words, [(0.4, 5.4), (7.9, 10.0)], max_seconds=1.0)
    assert [w.end for w in words] == [4.1, 5.4, 8.4]  # 1.6 s after "next" is more than a word's tail
