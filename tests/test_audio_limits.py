"""Decode bounds of the audio front end: a sample-rate floor, a decoded-duration cap, finite float samples."""

from __future__ import annotations

import io

import numpy as np
import pytest

from models.audio import AudioDecodeError, AudioTooLong, DecodeLimits, decode_audio
from tests.support.audio_inputs import Pipe, wav_bytes


def test_one_hertz_header_is_refused_before_decoding() -> None:
    # 66 KB of samples that a 1 Hz header turns into 9 hours (the 200-after-123-s case).
    blob = wav_bytes(b"\0" * 66_000, rate=1)
    with pytest.raises(AudioDecodeError, match="1 Hz; at least 4000 Hz"):
        decode_audio(io.BytesIO(blob))


def test_declared_duration_above_cap_is_too_long() -> None:
    blob = wav_bytes(b"\0" * (16000 * 2 * 90), rate=16000)
    with pytest.raises(AudioTooLong, match="declares 90 s of audio; this server accepts at most 60 s"):
        decode_audio(io.BytesIO(blob), DecodeLimits(max_seconds=60))
    assert decode_audio(io.BytesIO(blob), DecodeLimits(max_seconds=120)).size == 16000 * 90


def test_undeclared_length_is_stopped_by_the_decoded_count() -> None:
    blob = wav_bytes(b"\0" * (16000 * 2 * 90), rate=16000)
    with pytest.raises(AudioTooLong, match="decodes to more than 60 s"):
        decode_audio(Pipe(blob), DecodeLimits(max_seconds=60))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_float_samples_are_refused(bad: float) -> None:
    samples = np.sin(np.arange(16000) / 8.0).astype("<f4")
    samples[::10] = bad
    with pytest.raises(AudioDecodeError, match="NaN or infinite"):
        decode_audio(io.BytesIO(wav_bytes(samples.tobytes(), 16000, bits=32, float_pcm=True)))


def test_finite_float_wav_still_decodes() -> None:
    samples = (0.5 * np.sin(np.arange(16000) / 8.0)).astype("<f4")
    audio = decode_audio(io.BytesIO(wav_bytes(samples.tobytes(), 16000, bits=32, float_pcm=True)))
    assert audio.size == 16000
    assert 0.4 < float(np.abs(audio).max()) <= 0.5


@pytest.mark.parametrize("header", ["bits-zero", "unknown-format-tag", "short-extensible"])
def test_a_header_whose_codec_cannot_open_is_a_decode_error(header: str) -> None:
    """Found by the malformed-audio corpus: PyAV opens the container but leaves the codec unusable (was a 500)."""
    samples = b"\1\0" * 16000
    blob = {
        "bits-zero": wav_bytes(samples, 16000, bits=0),
        "unknown-format-tag": wav_bytes(samples, 16000).replace(b"fmt \x10\0\0\0\x01\0", b"fmt \x10\0\0\0\x34\x12", 1),
        "short-extensible": wav_bytes(samples, 16000).replace(b"fmt \x10\0\0\0\x01\0", b"fmt \x10\0\0\0\xfe\xff", 1),
    }[header]
    with pytest.raises(AudioDecodeError):
        decode_audio(io.BytesIO(blob))
