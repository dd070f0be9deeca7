"""The one result type that flows through every stage: ASR fills it, later stages add to it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Word:
    """One recognised word on the file or session timeline (seconds)."""

    word: str
    start: float
    end: float
    confidence: float
    speaker: int | None = None
    speaker_confidence: float | None = None


@dataclass
class Utterance:
    """A sentence-level span of words."""

    text: str
    start: float
    end: float
    speaker: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Transcript:
    """Everything the pipeline knows about one piece of audio.

    `text` is the display transcription. `words` is filled only when word timing was
    computed; `utterances` only when sentence splitting ran. Stages such as diarization,
    gender, emotion and redaction fill the optional fields.
    """

    text: str
    words: list[Word] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None
    languages: list[str] = field(default_factory=list)
    duration: float = 0.0
    num_chunks: int = 1
    gender: str | None = None
    emotions: dict[str, float] | None = None
    redacted_entities: list[str] = field(default_factory=list)
