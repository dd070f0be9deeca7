"""The telephone dev set: G.711 round trips, FFmpeg reads our G.711 WAVs, determinism of the line and the voice."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tests.helpers import JFK, load_pcm
from tests.support.telephone_set import (
    ENCODERS,
    alaw_decode,
    alaw_encode,
    phone_line,
    piper_voice,
    speak,
    to_int16,
    ulaw_decode,
    ulaw_encode,
    write_g711_wav,
)

DECODERS = {"ulaw": ulaw_decode, "alaw": alaw_decode}


def _snr_db(clean: np.ndarray, coded: np.ndarray) -> float:
    clean, coded = clean.astype(np.float64), coded.astype(np.float64)
    return 10 * np.log10(np.sum(clean**2) / np.sum((clean - coded) ** 2))


@pytest.mark.parametrize("codec", ["ulaw", "alaw"])
def test_g711_round_trip_keeps_speech_at_telephone_quality(codec: str) -> None:
    pcm = phone_line(load_pcm(JFK), "jfk", impaired=False)
    decoded = DECODERS[codec](ENCODERS[codec][0](pcm))
    assert np.all(np.sign(decoded[np.abs(pcm) > 64]) == np.sign(pcm[np.abs(pcm) > 64]))
    assert _snr_db(pcm, decoded) > 30  # G.711 gives about 38 dB on speech


def test_g711_codes_cover_the_full_range_and_are_idempotent() -> None:
    ramp = np.arange(-32768, 32768, 7, dtype=np.int16)
    for encode, decode in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        codes = encode(ramp)
        assert len(np.unique(codes)) > 250
        assert np.array_equal(encode(decode(codes)), codes)


@pytest.mark.parametrize("codec", ["ulaw", "alaw"])
def test_ffmpeg_reads_our_g711_wav_as_we_decode_it(codec: str, tmp_path: Path) -> None:
    pcm = to_int16(np.sin(np.linspace(0, 800 * np.pi, 8000)) * 0.5)
    codes = ENCODERS[codec][0](pcm)
    path = tmp_path / f"tone_{codec}.wav"
    write_g711_wav(path, codes, codec)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == {"ulaw": "pcm_mulaw", "alaw": "pcm_alaw"}[codec]
        assert stream.rate == 8000
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(stream)]
    assert np.array_equal(np.concatenate(frames), DECODERS[codec](codes))


def test_line_impairments_are_deterministic() -> None:
    pcm = load_pcm(JFK)
    first = phone_line(pcm, "jfk", impaired=True)
    assert np.array_equal(first, phone_line(pcm, "jfk", impaired=True))
    assert first.size == pcm.size // 2
    assert not np.array_equal(first, phone_line(pcm, "jfk", impaired=False))


def test_digit_sentences_are_spoken_the_same_every_time() -> None:
    voice = piper_voice()
    first = speak(voice, "My card ends in four, two, oh, seven.")
    assert first.size > 16000  # over a second of speech at 16 kHz
    assert np.abs(first).max() > 0.1
    assert np.array_equal(first, speak(voice, "My card ends in four, two, oh, seven."))
