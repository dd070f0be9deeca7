"""Simple prosodic statistics per window (pitch, loudness, voicing, speaking-rate proxy) for the emotion head."""

from __future__ import annotations

import numpy as np

from models.audio import SAMPLE_RATE
from models.speakers.config import EmbeddingConfig

FRAME_HOP = 160
PITCH_FRAME = 1024
# Pitch tracking runs over blocks of this many frames (30 s): YIN's frame matrix for a whole
# 300 s chunk would take hundreds of MB.
BLOCK_FRAMES = 3000
# Frames quieter than this (dB below the window's loudest) count as unvoiced / pause.
VOICED_RANGE_DB = 25.0
PROSODY_NAMES = (
    "f0_median_log2",
    "f0_iqr_log2",
    "f0_range_log2",
    "voiced_fraction",
    "loudness_std_db",
    "loudness_range_db",
    "zero_cross_rate",
    "loudness_peaks_per_s",
)
PROSODY_DIM = len(PROSODY_NAMES)


def frame_features(audio: np.ndarray, config: EmbeddingConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-10-ms-frame log2 f0 (YIN), loudness in dB and zero-crossing rate for a whole chunk."""
    import librosa

    if audio.size < PITCH_FRAME:
        audio = np.pad(audio, (0, PITCH_FRAME - audio.size))
    f0 = librosa.yin(
        audio,
        fmin=config.pitch_fmin,
        fmax=config.pitch_fmax,
        sr=SAMPLE_RATE,
        frame_length=PITCH_FRAME,
        hop_length=FRAME_HOP,
    )
    rms = librosa.feature.rms(y=audio, frame_length=PITCH_FRAME // 2, hop_length=FRAME_HOP)[0]
    zcr = librosa.feature.zero_crossing_rate(audio, frame_length=PITCH_FRAME // 2, hop_length=FRAME_HOP)[0]
    n = min(f0.size, rms.size, zcr.size)
    return np.log2(f0[:n]), 20.0 * np.log10(rms[:n] + 1e-6), zcr[:n]


def window_prosody(audio: np.ndarray, spans: list[tuple[int, int]], config: EmbeddingConfig) -> np.ndarray:
    """(len(spans), PROSODY_DIM) statistics, one row per sample span."""
    out = np.zeros((len(spans), PROSODY_DIM), dtype=np.float32)
    if not spans:
        return out
    parts = [
        frame_features(audio[b * FRAME_HOP : (b + BLOCK_FRAMES) * FRAME_HOP], config)[:3]
        for b in range(0, max(1, audio.size // FRAME_HOP + 1), BLOCK_FRAMES)
    ]
    log_f0, loud, zcr = (np.concatenate([p[i][:BLOCK_FRAMES] for p in parts]) for i in range(3))
    for i, (a, b) in enumerate(spans):
        lo, hi = a // FRAME_HOP, max(a // FRAME_HOP + 1, b // FRAME_HOP)
        out[i] = _stats(log_f0[lo:hi], loud[lo:hi], zcr[lo:hi], (b - a) / SAMPLE_RATE)
    return out


def _stats(log_f0: np.ndarray, loud: np.ndarray, zcr: np.ndarray, seconds: float) -> np.ndarray:
    if loud.size == 0:
        return np.zeros(PROSODY_DIM, dtype=np.float32)
    voiced = loud > loud.max() - VOICED_RANGE_DB
    pitch = log_f0[voiced] if voiced.any() else log_f0
    p10, p25, p50, p75, p90 = np.percentile(pitch, [10, 25, 50, 75, 90])
    l10, l90 = np.percentile(loud, [10, 90])
    # Local loudness maxima above the median: a rough syllable-rate cue (fast, agitated speech has more).
    mid = loud[1:-1]
    peaks = int(np.sum((mid > loud[:-2]) & (mid >= loud[2:]) & (mid > np.median(loud)))) if loud.size > 2 else 0
    return np.array(
        [p50, p75 - p25, p90 - p10, voiced.mean(), loud.std(), l90 - l10, zcr.mean(), peaks / max(seconds, 1e-3)],
        dtype=np.float32,
    )
