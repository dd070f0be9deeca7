"""Decode bounds of the audio front end: a sample-rate floor, a decoded-duration cap, finite float samples."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from models.audio import AudioDecodeError, AudioTooLong, DecodeLimits, decode_audio


def wav_bytes(samples: bytes, rate: int, *, bits: int = 16, float_pcm: bool = False, channels: int = 1) -> bytes:
    """A canonical RIFF/WAVE file around `samples`, with whatever header values the test wants."""
    block_align = (channels * bits // 8) & 0xFFFF
    fmt = struct.pack(
        "<HHIIHH", 3 if float_pcm else 1, channels, rate, (rate * block_align) & 0xFFFFFFFF, block_align, bits
    )
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


class Pipe(io.RawIOBase):
    """A non-seekable reader: FFmpeg cannot learn the length, so only the decoded count can stop it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


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
