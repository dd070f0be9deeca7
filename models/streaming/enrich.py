"""Stages on the live path: speaker labels that stay consistent for a whole session, and redaction of
every partial and final with one token book per session."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from models.audio import SAMPLE_RATE
from models.redaction import TokenBook
from models.speakers import OnlineSpeakerTracker
from models.stages import Stages
from models.streaming.jobs import FinalSegment
from models.streaming.timeline import AudioTimeline
from models.transcript import Transcript


@dataclass
class LiveEnrichment:
    """Per-session state for the optional stages; calls are blocking (run them off the event loop)."""

    stages: Stages
    diarize: bool = False
    redact_pii: bool = False
    redact_pci: bool = False
    ring_seconds: float = 90.0
    book: TokenBook = field(default_factory=TokenBook)
    tracker: OnlineSpeakerTracker | None = None
    ring: AudioTimeline | None = None

    def __post_init__(self) -> None:
        if self.diarize and self.stages.speakers is not None:
            speakers = self.stages.speakers
            self.tracker = OnlineSpeakerTracker(speakers.embedder, speakers.config)
            self.ring = AudioTimeline(int(self.ring_seconds * SAMPLE_RATE))

    @property
    def redacting(self) -> bool:
        return (self.redact_pii or self.redact_pci) and self.stages.redactor is not None

    @property
    def active(self) -> bool:
        return self.redacting or self.tracker is not None

    def feed(self, samples: np.ndarray) -> None:
        """Keep the session's 16 kHz audio that a later final may need for its voice print."""
        if self.ring is not None:
            self.ring.append(samples)

    def final(self, segment: FinalSegment) -> tuple[FinalSegment, list[str]]:
        """Speaker labels first (on the spoken words), then redaction of text and words."""
        words = segment.words
        if self.tracker is not None and self.ring is not None and words:
            offset, audio = self.ring.slice_seconds(segment.start, segment.end)
            if audio.size:
                self.tracker.assign(audio, offset, words)
        if not self.redacting:
            return replace(segment, words=words), []
        assert self.stages.redactor is not None
        transcript = Transcript(text=segment.text, words=list(words), language=segment.language)
        self.stages.redactor.redact_transcript(
            transcript, pii=self.redact_pii, pci=self.redact_pci, language=segment.language, book=self.book
        )
        return replace(segment, words=transcript.words, display_text=transcript.text), transcript.redacted_entities

    def partial(self, text: str, language: str | None) -> tuple[str, list[str]]:
        """Partials are redacted too, on a fork of the book so they never use up a final's index."""
        if not self.redacting or not text:
            return text, []
        assert self.stages.redactor is not None
        return self.stages.redactor.redact_text(
            text, pii=self.redact_pii, pci=self.redact_pci, language=language, book=self.book.fork()
        )
