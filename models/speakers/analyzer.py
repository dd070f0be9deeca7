"""Speaker stages for one request: embeddings computed once per request feed diarization, gender and emotion."""

from __future__ import annotations

import logging
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np

from models.speakers.config import SpeakerStagesConfig
from models.speakers.diarization import DiarizationResult, EmbeddedDiarizer, PyannoteDiarizer, SpeakerBounds
from models.speakers.embedder import SAMPLE_RATE, load_embedder
from models.speakers.scorers import ScoredSpan, Scorer, load_scorer
from models.speakers.track import EmbeddingTrack, build_track, speech_regions
from models.speakers.words import label_words
from models.transcript import Transcript
from models.utterances import split_utterances

log = logging.getLogger(__name__)

GENDER_LABELS = ("male", "female")
EMOTION_LABELS = ("happiness", "sadness", "disgust", "fear", "anger")
EVERYTHING = [(0.0, float("inf"))]


class SpeakerAnalyzer:
    """Loaded once at start-up; `start` hands out independent per-request jobs (thread-safe)."""

    def __init__(self, config: SpeakerStagesConfig) -> None:
        self.config = config
        self.embedder = load_embedder(config.embedding.backend, config.embedding.threads)
        self.gender = load_scorer(config.gender, GENDER_LABELS)
        self.emotion = load_scorer(config.emotion, EMOTION_LABELS)
        backend = config.diarization.backend
        if backend == "embedded":
            self.diarizer: EmbeddedDiarizer | PyannoteDiarizer = EmbeddedDiarizer(config.diarization)
        elif backend == "pyannote":
            self.diarizer = PyannoteDiarizer(config.diarization)
        else:
            raise ValueError(f"unknown diarization backend {backend!r}; available: embedded, pyannote")

    @classmethod
    def from_stages(cls, stages: dict[str, Any] | None) -> SpeakerAnalyzer:
        return cls(SpeakerStagesConfig.from_stages(stages))

    def start(
        self,
        *,
        diarize: bool,
        gender: bool,
        emotion: bool,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> SpeakerJob:
        """A job for one request; raises ValueError (→ HTTP 400) on impossible speaker counts."""
        for name, value in (
            ("num_speakers", num_speakers),
            ("min_speakers", min_speakers),
            ("max_speakers", max_speakers),
        ):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if min_speakers is not None and max_speakers is not None and min_speakers > max_speakers:
            raise ValueError(f"min_speakers ({min_speakers}) is greater than max_speakers ({max_speakers})")
        bounds = SpeakerBounds(num_speakers, min_speakers, max_speakers)
        return SpeakerJob(self, diarize=diarize, gender=gender, emotion=emotion, bounds=bounds)


class SpeakerJob:
    """Accumulates a compact embedding track chunk by chunk; `finish` writes results into the transcript."""

    def __init__(
        self, analyzer: SpeakerAnalyzer, *, diarize: bool, gender: bool, emotion: bool, bounds: SpeakerBounds
    ) -> None:
        self._analyzer = analyzer
        self.diarize, self.gender, self.emotion = diarize, gender, emotion
        self._bounds = bounds
        self._result: DiarizationResult | None = None
        self.track = EmbeddingTrack()
        self._spans: dict[str, list[ScoredSpan]] = {"gender": [], "emotion": []}
        self._spool: tempfile._TemporaryFileWrapper[bytes] | None = None
        self._wav: wave.Wave_write | None = None
        if diarize and isinstance(analyzer.diarizer, PyannoteDiarizer):
            # pyannote needs the whole signal: spool it to disk so memory stays at one chunk.
            self._spool = tempfile.NamedTemporaryFile(suffix=".wav")
            self._wav = wave.open(self._spool, "wb")
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(SAMPLE_RATE)

    @property
    def active(self) -> bool:
        return self.diarize or self.gender or self.emotion

    def add_chunk(self, audio: np.ndarray, offset: float) -> None:
        """Feed one decoded chunk (16 kHz float32 mono) whose first sample is at `offset` seconds."""
        if not self.active:
            return
        a = self._analyzer
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        regions = speech_regions(audio, a.config.diarization.vad) if audio.size else []
        embedding = a.config.embedding.for_request(self.diarize)
        self.track.extend(build_track(audio, offset, a.embedder, embedding, a.config.diarization.vad, regions))
        for name, wanted, scorer in (("gender", self.gender, a.gender), ("emotion", self.emotion, a.emotion)):
            if wanted and scorer.needs_audio:
                self._spans[name].extend(scorer.score_chunk(audio, offset, regions))
        if self._wav is not None:
            self._wav.writeframes((np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes())

    def finish(self, transcript: Transcript, pause_seconds: float = 0.8) -> None:
        """Fill speakers, gender and emotions into `transcript` (only the stages this job was asked for)."""
        try:
            result = self.diarization() if self.diarize else None
            mapping: dict[int, int] = {}
            if result is not None and transcript.words:
                mapping = label_words(transcript.words, result.posteriors)
                transcript.utterances = split_utterances(transcript.words, pause_seconds, transcript.language)
            if self.gender:
                self._fill_gender(transcript, result, mapping)
            if self.emotion:
                self._fill_emotion(transcript)
        finally:
            self.close()

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def diarization(self) -> DiarizationResult:
        """Speaker turns of everything added so far (computed once; needs `diarize=True`)."""
        if self._result is None:
            self._result = self._diarize()
        return self._result

    def _diarize(self) -> DiarizationResult:
        diarizer = self._analyzer.diarizer
        if isinstance(diarizer, PyannoteDiarizer):
            assert self._wav is not None and self._spool is not None
            self._wav.close()
            self._wav = None
            return diarizer.diarize(Path(self._spool.name), self.track, self._bounds)
        return diarizer.diarize(self.track, self._bounds)

    def _score(
        self, name: str, scorer: Scorer, index: np.ndarray, ranges: list[tuple[float, float]]
    ) -> np.ndarray | None:
        return scorer.score(self.track, self._spans[name], index, ranges)

    def _fill_gender(self, transcript: Transcript, result: DiarizationResult | None, mapping: dict[int, int]) -> None:
        scorer = self._analyzer.gender
        everything = np.arange(len(self.track))
        whole = self._score("gender", scorer, everything, EVERYTHING)
        if result is None or len(self.track) == 0:
            transcript.gender = _top(scorer.labels, whole)
            return
        per_speaker: dict[int, str | None] = {}
        talk: dict[int, float] = {}
        for raw in np.unique(result.window_speakers):
            index = np.flatnonzero(result.window_speakers == raw)
            ranges = [(float(a), float(b)) for a, b in self.track.times[index]]
            per_speaker[int(raw)] = _top(scorer.labels, self._score("gender", scorer, index, ranges))
            talk[int(raw)] = float(np.sum(self.track.times[index, 1] - self.track.times[index, 0]))
        dominant = max(talk, key=talk.__getitem__)
        transcript.gender = per_speaker.get(dominant) or _top(scorer.labels, whole)
        public = {v: per_speaker.get(k) for k, v in mapping.items()}
        for utterance in transcript.utterances:
            if utterance.speaker is not None and public.get(utterance.speaker):
                utterance.extra["speaker_gender"] = public[utterance.speaker]

    def _fill_emotion(self, transcript: Transcript) -> None:
        scorer = self._analyzer.emotion
        whole = self._score("emotion", scorer, np.arange(len(self.track)), EVERYTHING)
        transcript.emotions = _scores(scorer.labels, whole)
        for utterance in transcript.utterances:
            index = self.track.select(utterance.start, utterance.end)
            utterance.extra["emotions"] = _scores(
                scorer.labels, self._score("emotion", scorer, index, [(utterance.start, utterance.end)])
            )


def _top(labels: tuple[str, ...], scores: np.ndarray | None) -> str | None:
    return None if scores is None else labels[int(np.argmax(scores))]


def _scores(labels: tuple[str, ...], scores: np.ndarray | None) -> dict[str, float]:
    """Label → score rounded for the wire; silence (no speech windows) scores 0 everywhere."""
    if scores is None:
        return dict.fromkeys(labels, 0.0)
    return {label: round(float(np.clip(s, 0.0, 1.0)), 4) for label, s in zip(labels, scores, strict=True)}
