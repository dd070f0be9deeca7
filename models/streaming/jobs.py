"""Value types shared by the live session engine and its runner: options, events, decode jobs, finals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from models.streaming.decoder import DecodedWord, DecodeResult
from models.transcript import Word

SAMPLE_RATE = 16000
_NORMALISE = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class SessionOptions:
    """What the client asked for at the handshake, already validated."""

    language: str | None  # pinned decoding language; None = detect among `candidates`
    candidates: tuple[str, ...] | None = None
    endpointing: bool = True
    endpointing_ms: int = 600
    eou_timeout_ms: int = 800
    max_words: int | None = None
    finalize_on_words: bool = True
    hotwords: str | None = None


@dataclass
class SpeechEvent:
    kind: str  # "speech_started" | "speech_ended"
    timestamp: float


@dataclass
class DecodeJob:
    """A snapshot handed to a decode thread; `generation` ties the result to the segment it describes.

    `kind` is "partial" (uncommitted tail), "final", or "prefinal" (a final's decode started
    speculatively in a pause).
    """

    kind: str
    generation: int
    audio: np.ndarray | None
    start_sample: int
    prompt: str
    language: str | None
    reason: str = ""
    # Words committed by partials: a final's fallback when its decode heard nothing.
    committed: list[Word] = field(default_factory=list)
    # A final that decodes all of its segment after `sealed` (words of earlier pauses) in one pass.
    redecode: bool = False
    sealed: list[Word] = field(default_factory=list)
    # Where the final cut the timeline, and the word a decode starting right there may echo.
    cut_sample: int = 0
    echo: Word | None = None
    end_sample: int = 0

    @property
    def key(self) -> tuple[int, int, str, bool]:
        """Identity of the decode: a speculative final and a real one with equal keys hear the same input."""
        return self.start_sample, self.end_sample, self.prompt, self.redecode


@dataclass
class FinalSegment:
    words: list[Word]
    language: str | None
    reason: str
    start: float
    end: float
    # Display text after text options (ITN, formatting); None = the plain join of `words`.
    display_text: str | None = None
    # Redaction tokens used in this final, in order (spec §4.4.1 `redacted_entities`).
    redacted_entities: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        if self.display_text is not None:
            return self.display_text
        return " ".join(w.word for w in self.words)


def word_key(text: str) -> str:
    return _NORMALISE.sub("", text.lower())


def drop_echo(last: Word | None, words: list[DecodedWord], window: float) -> list[DecodedWord]:
    """A decode that starts by repeating (part of) the word just before its audio heard that word's remnant."""
    if last is None or not words or words[0].start > window:
        return words
    head, tail = word_key(words[0].text), word_key(last.word)
    return words[1:] if head and tail.endswith(head) else words


def common_prefix(a: list[DecodedWord], b: list[DecodedWord]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if word_key(x.text) != word_key(y.text):
            break
        n += 1
    return n


def timeline_words(job: DecodeJob, result: DecodeResult | None, window: float) -> list[Word]:
    """The result's words on the session timeline, without an echo of the word before the job's audio."""
    if result is None:
        return []
    offset = job.start_sample / SAMPLE_RATE
    return [
        Word(w.text.strip(), round(offset + w.start, 3), round(offset + w.end, 3), round(w.probability, 4))
        for w in drop_echo(job.echo, result.words, window)
    ]
