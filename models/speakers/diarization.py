"""Diarization backends: `embedded` (clusters the shared embedding track) and `pyannote` (optional, GPU)."""

from __future__ import annotations

import inspect
import os
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.speakers.clustering import cluster, resolve_bounds
from models.speakers.config import DiarizationConfig
from models.speakers.embedder import SAMPLE_RATE
from models.speakers.resegment import FramePosteriors, SpeakerSegment, frame_posteriors, refine, segments_from_frames
from models.speakers.track import EmbeddingTrack


@dataclass
class SpeakerBounds:
    """Requested speaker count: exact (`num`) or a range; None means automatic."""

    num: int | None = None
    low: int | None = None
    high: int | None = None


@dataclass
class DiarizationResult:
    """Frame posteriors (for word labelling), the turns, and one raw speaker per track window."""

    posteriors: FramePosteriors
    segments: list[SpeakerSegment]
    window_speakers: np.ndarray


def window_speakers(track: EmbeddingTrack, post: FramePosteriors) -> np.ndarray:
    """Raw speaker (posterior column) at the centre of each track window."""
    if len(track) == 0:
        return np.zeros(0, dtype=int)
    frames = np.clip((track.times.mean(axis=1) / post.frame).astype(int), 0, len(post.speech) - 1)
    return np.argmax(post.probs[frames], axis=1)


class EmbeddedDiarizer:
    """Spectral/AHC clustering of window embeddings, centroid resegmentation, smoothed frame posteriors."""

    def __init__(self, config: DiarizationConfig) -> None:
        self.config = config

    def diarize(self, track: EmbeddingTrack, bounds: SpeakerBounds) -> DiarizationResult:
        low, high = resolve_bounds(len(track), self.config, bounds.num, bounds.low, bounds.high)
        labels = self._cluster(track.vectors, low, high)
        labels = refine(track, labels, self.config, low)
        post = frame_posteriors(track, labels, self.config)
        segments = segments_from_frames(post, self.config.overlap_threshold, self.config.overlap_min_frames)
        return DiarizationResult(post, segments, labels if labels.size else np.zeros(0, dtype=int))

    def _cluster(self, vectors: np.ndarray, low: int, high: int) -> np.ndarray:
        """Cluster windows; long files first average runs of consecutive windows so the affinity matrix
        stays at most `max_cluster_items` square (memory and the O(n³) eigensolver stay bounded)."""
        limit = self.config.max_cluster_items
        if len(vectors) <= limit:
            return cluster(vectors, self.config, low, high)
        group = int(np.ceil(len(vectors) / limit))
        owner = np.arange(len(vectors)) // group
        pooled = np.stack([vectors[owner == g].mean(axis=0) for g in range(owner[-1] + 1)])
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True) + 1e-9
        return cluster(pooled, self.config, low, high)[owner]


class PyannoteDiarizer:
    """pyannote.audio speaker-diarization pipeline from a local path or a hub id (+ token) fetched at deploy time.

    Imported lazily so the package stays optional: it is meant for CUDA deployments (`[pyannote]` extra).
    Written against pyannote.audio 4.0 (`token=`, `DiarizeOutput`); 3.x (`use_auth_token=`, bare annotation)
    is still accepted. Checked end to end by the opt-in `scripts/test-pyannote` (random local weights).
    """

    def __init__(self, config: DiarizationConfig) -> None:
        self.config = config
        # pyannote.audio 4 sends usage telemetry to its vendor by default; a self-hosted server must not
        # phone home. An operator who wants it can still export PYANNOTE_METRICS_ENABLED=true.
        os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
        try:
            import torch
            from pyannote.audio import Pipeline
        except Exception as exc:  # ImportError, or torchaudio/torchcodec failing to load their CUDA builds
            raise RuntimeError(
                "diarization backend 'pyannote' needs the optional `pyannote.audio` package with a matching "
                f"torch/torchaudio build (install the [pyannote] extra in the CUDA image): {exc}"
            ) from exc
        self._torch = torch
        source = config.pyannote_pipeline
        kwargs: dict[str, Any] = {}
        if config.pyannote_token:
            # The keyword was renamed in pyannote.audio 4 (`use_auth_token` → `token`).
            accepted = inspect.signature(Pipeline.from_pretrained).parameters
            kwargs["token" if "token" in accepted else "use_auth_token"] = config.pyannote_token
        pipeline = Pipeline.from_pretrained(source, **kwargs)
        if pipeline is None:
            raise RuntimeError(f"pyannote pipeline {source!r} could not be loaded (missing weights or token?)")
        self._pipeline = pipeline.to(torch.device(config.pyannote_device))

    def diarize(self, wav_path: Path, track: EmbeddingTrack, bounds: SpeakerBounds) -> DiarizationResult:
        kwargs = {"num_speakers": bounds.num, "min_speakers": bounds.low, "max_speakers": bounds.high}
        # In memory rather than by path: pyannote.audio 4 decodes paths with torchcodec, which needs the
        # system FFmpeg libraries; the spooled WAV is plain 16-bit PCM that `wave` reads without them.
        samples = read_wav(wav_path)
        audio = {"waveform": self._torch.from_numpy(samples)[None, :], "sample_rate": SAMPLE_RATE}
        output = self._pipeline(audio, **{k: v for k, v in kwargs.items() if v is not None})
        annotation = getattr(output, "speaker_diarization", output)  # pyannote 4 wraps the annotation
        # The last sliding chunk is zero-padded, so turns can run past the end of the audio: clip them.
        duration = samples.size / SAMPLE_RATE
        turns = [
            (max(0.0, turn.start), min(duration, turn.end), str(label))
            for turn, _, label in annotation.itertracks(yield_label=True)
            if min(duration, turn.end) > max(0.0, turn.start)
        ]
        return result_from_turns(turns, track, self.config)


def read_wav(path: Path) -> np.ndarray:
    """Mono 16-bit PCM WAV (as the speaker job spools it) → float32 samples in [-1, 1]."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1 or wav.getframerate() != SAMPLE_RATE:
            raise ValueError(f"{path}: expected mono 16-bit PCM at {SAMPLE_RATE} Hz")
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def result_from_turns(
    turns: list[tuple[float, float, str]], track: EmbeddingTrack, config: DiarizationConfig
) -> DiarizationResult:
    """One-hot frame posteriors from labelled turns (external diarizers), numbered by first appearance."""
    frame = config.frame_seconds
    names: dict[str, int] = {}
    for _, _, label in sorted(turns):
        names.setdefault(label, len(names))
    end = max([track.duration] + [e for _, e, _ in turns])
    probs = np.zeros((int(np.ceil(end / frame)) + 1, max(1, len(names))))
    for start, stop, label in turns:
        probs[int(start / frame) : int(np.ceil(stop / frame)), names[label]] = 1.0
    speech = probs.sum(axis=1) > 0
    probs[speech] /= probs[speech].sum(axis=1, keepdims=True)
    post = FramePosteriors(frame, probs, speech)
    segments = [SpeakerSegment(s, e, names[label], 1.0) for s, e, label in sorted(turns)]
    return DiarizationResult(post, segments, window_speakers(track, post))
