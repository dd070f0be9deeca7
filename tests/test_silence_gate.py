"""The energy gate before Silero VAD: long quiet stretches are left out of the VAD, speech around them is not.

Issue 12: a 2-hour silent upload (a few MB of FLAC/Opus/MP3) spent most of its minute-plus in Silero VAD and in
per-frame resampling; the gate and the batched resampler make it cheap without changing what is found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.coverage import GATE_MARGIN_SECONDS, SAMPLE_RATE, SilenceGate, loud_spans, speech_regions
from models.languages import LanguagePlan
from models.pipeline import TranscribeOptions, transcribe_file
from models.pool import InferencePool
from models.registry import LoadedModel
from models.streaming.vad import StreamingVad
from tests.helpers import JFK, encode_audio, load_pcm
from tests.support.engines import default_engine


def _speech_silence_speech(quiet_seconds: float, level: float) -> tuple[np.ndarray, int]:
    jfk = load_pcm(JFK)
    rng = np.random.default_rng(0)
    quiet = (rng.standard_normal(int(quiet_seconds * SAMPLE_RATE)) * level).astype(np.float32)
    return np.concatenate([jfk, quiet, jfk]), jfk.size


def test_gate_skips_the_inside_of_a_quiet_stretch_and_finds_the_same_speech() -> None:
    # 60 s of near-silence (dither at about -80 dBFS) between two copies of the JFK clip.
    audio, speech = _speech_silence_speech(60.0, 10 ** (-86 / 20))
    spans = loud_spans(audio, SilenceGate(peak_dbfs=-60.0, min_seconds=4.0))
    margin = int(GATE_MARGIN_SECONDS * SAMPLE_RATE)
    assert len(spans) == 2 and spans[0][0] == 0 and spans[1][1] == audio.size
    assert speech <= spans[0][1] <= speech + margin + 1600
    assert audio.size - speech - margin - 1600 <= spans[1][0] <= audio.size - speech
    assert sum(hi - lo for lo, hi in spans) < 0.3 * audio.size  # Silero sees the speech, not the minute
    gated, full = speech_regions(audio, spans=spans), speech_regions(audio)
    assert len(gated) == len(full) >= 2
    assert all(abs(a - c) < 0.05 and abs(b - d) < 0.05 for (a, b), (c, d) in zip(gated, full, strict=True))


def test_gate_keeps_everything_when_off_or_when_nothing_is_quiet_for_long() -> None:
    audio, _ = _speech_silence_speech(3.0, 0.0)  # 3 s of digital silence: shorter than the gate's 4 s
    assert loud_spans(audio, SilenceGate()) == [(0, audio.size)]
    assert loud_spans(audio, None) == [(0, audio.size)]
    assert loud_spans(np.zeros(7200 * SAMPLE_RATE // 60, np.float32), SilenceGate()) == []  # 2 minutes of zeros
    loud, _ = _speech_silence_speech(60.0, 0.05)  # a noisy room, not silence: all of it goes through the VAD
    assert loud_spans(loud, SilenceGate()) == [(0, loud.size)]


@pytest.mark.slow
def test_speech_after_twenty_minutes_of_opus_silence_is_found_without_vad_over_the_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = default_engine("pulse")
    pool = InferencePool("pulse", 1, 1)
    jfk = load_pcm(JFK)
    silence = 20 * 60
    path = encode_audio(np.concatenate([np.zeros(silence * SAMPLE_RATE, np.float32), jfk]), tmp_path / "late.ogg",
                        "libopus", fmt="ogg")
    seen: list[int] = []
    real_feed = StreamingVad.feed

    def counting(self: StreamingVad, audio: np.ndarray) -> object:
        seen.append(int(np.asarray(audio).size))
        return real_feed(self, audio)

    monkeypatch.setattr(StreamingVad, "feed", counting)  # every Silero pass of the pre-recorded path feeds it
    try:
        with path.open("rb") as source:
            # Language not given: detection must also skip the silent chunks and find English at the end.
            result = transcribe_file(LoadedModel("pulse", engine.config, engine, pool), source,
                                     TranscribeOptions(language=LanguagePlan("auto", None, None), word_timestamps=True))
    finally:
        pool.shutdown()
        engine.batcher.close()
    transcript = result.transcript
    assert "ask not what your country" in transcript.text.lower(), transcript.text
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(silence + jfk.size / SAMPLE_RATE, abs=0.1)
    assert transcript.words and transcript.words[0].start >= silence - 0.5
    assert 0 < sum(seen) < 0.05 * silence * SAMPLE_RATE, sum(seen)  # the VAD ran over the speech only
