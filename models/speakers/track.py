"""Per-request embedding track: speech regions and one voice vector (+ prosody) per short window."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.coverage import SegmentRule, speech_spans
from models.speakers.config import EmbeddingConfig, SpeakerVadConfig
from models.speakers.embedder import MEL_HOP, SAMPLE_RATE, ResemblyzerEmbedder
from models.speakers.prosody import PROSODY_DIM, window_prosody


@dataclass
class EmbeddingTrack:
    """Compact summary of one request's audio: what every speaker stage needs, no samples kept.

    `times[i]` = (start, end) seconds on the file timeline of window i; `vectors[i]` its
    L2-normalised voice embedding; `prosody[i]` pitch/energy statistics of the same window.
    """

    regions: list[tuple[float, float]] = field(default_factory=list)
    times: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.float64))
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 256), dtype=np.float32))
    prosody: np.ndarray = field(default_factory=lambda: np.zeros((0, PROSODY_DIM), dtype=np.float32))
    duration: float = 0.0

    def __len__(self) -> int:
        return len(self.times)

    def extend(self, other: EmbeddingTrack) -> None:
        self.regions.extend(other.regions)
        self.times = np.concatenate([self.times, other.times])
        self.vectors = np.concatenate([self.vectors, other.vectors])
        self.prosody = np.concatenate([self.prosody, other.prosody])
        self.duration = max(self.duration, other.duration)

    def select(self, start: float, end: float) -> np.ndarray:
        """Indices of windows whose centre falls in [start, end), or that overlap it when none does."""
        centres = self.times.mean(axis=1) if len(self) else np.zeros(0)
        inside = np.flatnonzero((centres >= start) & (centres < end))
        if inside.size == 0 and len(self):
            inside = np.flatnonzero((self.times[:, 0] < end) & (self.times[:, 1] > start))
        return inside


def speech_regions(audio: np.ndarray, vad: SpeakerVadConfig) -> list[tuple[int, int]]:
    """Sample spans where Silero VAD (bundled with faster-whisper) hears speech."""
    rule = SegmentRule.silero(
        vad.threshold, vad.min_silence_ms, min_speech_ms=vad.min_speech_ms, pad_ms=vad.speech_pad_ms
    )
    regions = speech_spans(audio, rule, vad.reset_after_silence_ms)
    if not regions and 0 < audio.size <= vad.fallback_max_seconds * SAMPLE_RATE:
        rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
        if 20.0 * np.log10(rms + 1e-12) >= vad.fallback_dbfs:
            regions = [(0, int(audio.size))]
    return regions


def window_spans(regions: list[tuple[int, int]], config: EmbeddingConfig) -> list[tuple[int, int]]:
    """Sample spans of the embedding windows: a sliding window inside each region, the last one flush with its end."""
    window = int(config.window_seconds * SAMPLE_RATE)
    hop = int(config.hop_seconds * SAMPLE_RATE)
    shortest = int(config.min_region_seconds * SAMPLE_RATE)
    spans: list[tuple[int, int]] = []
    for start, end in regions:
        if end - start < shortest:
            continue
        if end - start <= window:
            spans.append((start, end))
            continue
        starts = list(range(start, end - window + 1, hop))
        if starts[-1] + window < end:
            starts.append(end - window)
        spans.extend((s, s + window) for s in starts)
    return spans


def build_track(
    audio: np.ndarray,
    offset: float,
    embedder: ResemblyzerEmbedder,
    embedding: EmbeddingConfig,
    vad: SpeakerVadConfig,
    regions: list[tuple[int, int]] | None = None,
) -> EmbeddingTrack:
    """Embedding track of one chunk (16 kHz float32 mono) whose first sample sits at `offset` seconds."""
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    duration = offset + audio.size / SAMPLE_RATE
    if regions is None:
        regions = speech_regions(audio, vad) if audio.size else []
    spans = window_spans(regions, embedding)
    track = EmbeddingTrack(
        regions=[(offset + a / SAMPLE_RATE, offset + b / SAMPLE_RATE) for a, b in regions], duration=duration
    )
    if not spans:
        return track
    mel = embedder.mel(audio)
    frame_spans = [(a // MEL_HOP, max(a // MEL_HOP + 1, b // MEL_HOP)) for a, b in spans]
    gains = np.array([_gain(audio[a:b], embedding.target_dbfs) for a, b in spans], dtype=np.float32)
    track.vectors = embedder.embed(mel, frame_spans, gains)
    track.times = np.array([(offset + a / SAMPLE_RATE, offset + b / SAMPLE_RATE) for a, b in spans])
    track.prosody = window_prosody(audio, spans, embedding)
    return track


def _gain(samples: np.ndarray, target_dbfs: float) -> float:
    """Power gain that lifts a quiet window to the encoder's training level (never attenuates)."""
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0
    if rms <= 1e-6:
        return 1.0
    boost_db = target_dbfs - 20.0 * np.log10(rms)
    return float(10.0 ** (max(boost_db, 0.0) / 10.0))
