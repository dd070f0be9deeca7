"""The pre-recorded VAD (real Silero ONNX, real audio): one file's earlier speech must not deafen it.

`speech_regions` runs Silero over a whole file. Carried through it, the LSTM state drifts as the live VAD's did
(tests/test_live_vad.py): a call's quiet opening phrases after other speech stopped counting. The state is
cleared after two seconds of quiet; with clearing off, the regions are those of faster-whisper's
`get_speech_timestamps`, whose segmentation rule they follow. Compared with faster-whisper or with the same
phrase heard at the start of a file, never with fixed values (onnxruntime's numerics differ between CPUs).
"""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper.vad import VadOptions, get_speech_timestamps

from models.coverage import SAMPLE_RATE, SegmentRule, Span, speech_regions, speech_spans
from models.speakers.config import SpeakerVadConfig
from models.speakers.track import speech_regions as speaker_regions
from tests.helpers import DATA, load_pcm, manifest


def call_opening() -> tuple[np.ndarray, list[dict]]:
    """`pyannote_sample` and its labelled segments in the first 10 s (quiet band-limited onsets)."""
    entry = next(e for e in manifest("asr_en.jsonl") if e["audio"].endswith("pyannote_sample.flac"))
    segments = [s for s in entry["segments"] if s["end"] <= 10.0]
    assert len(segments) >= 3, segments
    return load_pcm(DATA / entry["audio"]), segments


def heard(regions: list[Span], start: float, end: float) -> float:
    """Seconds of [start, end] inside `regions`."""
    return sum(max(0.0, min(end, e) - max(start, s)) for s, e in regions)


@pytest.mark.parametrize(
    ("clip", "threshold", "min_silence_ms", "max_seconds"),
    [
        ("diarization/ami_trn07.flac", 0.5, 500, float("inf")),
        ("diarization/ami_tst00.flac", 0.35, 100, 3.0),  # long stretches split at their last pause
        ("asr_en/pyannote_sample.flac", 0.35, 500, 29.1),
    ],
)
def test_never_cleared_regions_equal_faster_whispers(
    clip: str, threshold: float, min_silence_ms: int, max_seconds: float
) -> None:
    audio = load_pcm(DATA / clip)
    options = VadOptions(
        threshold=threshold, min_silence_duration_ms=min_silence_ms, speech_pad_ms=0, max_speech_duration_s=max_seconds
    )
    expected = [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in get_speech_timestamps(audio, options)]
    ours = speech_regions(audio, threshold, min_silence_ms, max_seconds, reset_after_silence_ms=0)
    assert expected and ours == expected


@pytest.mark.parametrize("clip", ["diarization/ami_trn07.flac", "diarization/ami_tst00.flac"])
def test_padded_spans_and_the_speaker_vad_equal_faster_whispers(clip: str) -> None:
    audio = load_pcm(DATA / clip)
    vad = SpeakerVadConfig()
    options = VadOptions(
        threshold=vad.threshold,
        min_speech_duration_ms=vad.min_speech_ms,
        min_silence_duration_ms=vad.min_silence_ms,
        speech_pad_ms=vad.speech_pad_ms,
    )
    expected = [(r["start"], r["end"]) for r in get_speech_timestamps(audio, options)]
    assert expected and speaker_regions(audio, vad.model_copy(update={"reset_after_silence_ms": 0})) == expected
    long_pads = VadOptions(
        threshold=0.5,
        min_speech_duration_ms=250,
        min_silence_duration_ms=100,
        speech_pad_ms=400,
        max_speech_duration_s=4.0,
    )
    expected = [(r["start"], r["end"]) for r in get_speech_timestamps(audio, long_pads)]
    assert speech_spans(audio, SegmentRule.silero(0.5, 100, 4.0, 250, 400), reset_after_silence_ms=0) == expected


def test_a_calls_opening_phrases_are_speech_after_other_speech_in_the_same_file() -> None:
    call, segments = call_opening()
    other = load_pcm(DATA / "asr_en" / "picovoice_diarization_test.flac")
    lead = np.concatenate([other, np.zeros(int(0.8 * SAMPLE_RATE), np.float32)])
    offset = lead.size / SAMPLE_RATE
    fresh = speech_regions(call, threshold=0.35)
    after = [(s - offset, e - offset) for s, e in speech_regions(np.concatenate([lead, call]), threshold=0.35)]
    for segment in segments:
        alone, joined = heard(fresh, segment["start"], segment["end"]), heard(after, segment["start"], segment["end"])
        assert alone > 0.0, segment  # the phrase is speech at the start of a file
        assert joined >= 0.8 * alone, (segment, alone, joined)
