"""The live VAD (real Silero ONNX, real telephone audio): a stream's history must not deafen it.

Silero's LSTM state, carried through a long session, drifts: the weak onsets of a telephone call
("Hello? Hello? Oh, hello." in `pyannote_sample`) stopped counting as speech once the same stream had
carried other speech before them, and the live engine never decoded those words. The state is cleared
after two seconds of quiet (`VadConfig.reset_after_silence_ms`), so each phrase is heard about as if it
opened the stream. Counts are compared with a fresh stream's, not with fixed values: onnxruntime's
numerics differ a little between CPUs.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.streaming.config import VadConfig
from models.streaming.vad import VAD_WINDOW, StreamingVad, VadFrame
from tests.helpers import DATA, load_pcm, manifest

SR = 16000
FRAME = 320  # 20 ms, as clients send it
MIN_VOICED_WINDOWS = 2  # 64 ms called speech (a fresh stream calls 4–15 windows of each phrase speech)


def feed(vad: StreamingVad, pcm: np.ndarray, frame: int = FRAME) -> list[VadFrame]:
    frames: list[VadFrame] = []
    for start in range(0, pcm.size, frame):
        frames += vad.feed(pcm[start : start + frame])
    return frames


def call_opening() -> tuple[np.ndarray, list[dict]]:
    """`pyannote_sample` and its labelled segments in the first 10 s (quiet band-limited onsets)."""
    entry = next(e for e in manifest("asr_en.jsonl") if e["audio"].endswith("pyannote_sample.flac"))
    segments = [s for s in entry["segments"] if s["end"] <= 10.0]
    assert len(segments) >= 3, segments
    return load_pcm(DATA / entry["audio"]), segments


def voiced_windows(pcm: np.ndarray, lead: np.ndarray, segments: list[dict]) -> list[int]:
    """Windows the VAD calls speech inside each segment of `pcm` streamed after `lead`, in 20 ms frames."""
    frames = feed(StreamingVad(VadConfig()), np.concatenate([lead, pcm]))
    counts = []
    for segment in segments:
        first, last = lead.size + int(segment["start"] * SR), lead.size + int(segment["end"] * SR)
        counts.append(sum(1 for f in frames if first <= f.end_sample - VAD_WINDOW // 2 <= last and f.speech))
    return counts


@pytest.mark.parametrize("before", ["nothing", "other speech", "digital silence"])
def test_every_opening_phrase_of_a_call_is_speech_whatever_the_stream_carried_before(before: str) -> None:
    call, segments = call_opening()
    other = load_pcm(DATA / "asr_en" / "picovoice_diarization_test.flac")
    lead = {
        "nothing": np.zeros(0, np.float32),
        "other speech": np.concatenate([other, np.zeros(int(0.8 * SR), np.float32)]),
        "digital silence": np.zeros(other.size + int(0.8 * SR), np.float32),
    }[before]
    fresh, after = voiced_windows(call, np.zeros(0, np.float32), segments), voiced_windows(call, lead, segments)
    said = [f"{s['text']}@{s['start']}" for s in segments]
    assert all(n >= MIN_VOICED_WINDOWS for n in after), dict(zip(said, after, strict=True))
    assert all(n >= f - 1 for n, f in zip(after, fresh, strict=True)), dict(zip(said, zip(after, fresh, strict=True), strict=True))


def test_decisions_do_not_depend_on_how_the_audio_is_framed() -> None:
    """Clearing the state happens at the same window whether audio comes in 20 ms frames or in one piece."""
    call, _ = call_opening()
    other = load_pcm(DATA / "asr_en" / "picovoice_diarization_test.flac")
    pcm = np.concatenate([other, np.zeros(int(0.8 * SR), np.float32), call])
    config = VadConfig()
    framed, whole = feed(StreamingVad(config), pcm), StreamingVad(config).feed(pcm)
    assert [f.end_sample for f in framed] == [f.end_sample for f in whole]
    assert max(abs(a.probability - b.probability) for a, b in zip(framed, whole, strict=True)) < 1e-4
    assert [f.speech for f in framed] == [f.speech for f in whole]


def test_the_state_is_kept_through_a_pause_inside_a_sentence() -> None:
    """JFK pauses for over a second between phrases; those pauses are too short to clear the state, so
    its decisions match a VAD that never clears."""
    pcm = load_pcm(DATA / "asr_en" / "jfk.flac")
    never = feed(StreamingVad(VadConfig(reset_after_silence_ms=0)), pcm)
    cleared = feed(StreamingVad(VadConfig()), pcm)
    quiet_run = longest_quiet_run(never, VadConfig().neg_threshold) * VAD_WINDOW / SR
    assert 1.0 <= quiet_run < VadConfig().reset_after_silence_ms / 1000, quiet_run
    assert [f.probability for f in never] == pytest.approx([f.probability for f in cleared], abs=1e-5)


def longest_quiet_run(frames: list[VadFrame], below: float) -> int:
    best = run = 0
    for f in frames:
        run = run + 1 if f.probability < below else 0
        best = max(best, run)
    return best
