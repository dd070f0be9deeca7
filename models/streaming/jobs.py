"""Value types shared by the live session engine and its runner: options, events, decode jobs, finals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.audio import SAMPLE_RATE
from models.streaming.decoder import DecodedWord, DecodeRequest, DecodeResult
from models.streaming.seams import SeamPolicy, trim_seam, word_key
from models.transcript import Word


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
    # Where the final cut the timeline; the words just before the job's audio (its seam).
    cut_sample: int = 0
    context: list[Word] = field(default_factory=list)
    end_sample: int = 0

    def request(self, options: SessionOptions, greedy: bool) -> DecodeRequest:
        """What the decoder is asked; a partial searches with `beam_size`, other kinds with the final's search."""
        audio = self.audio if self.audio is not None else np.zeros(0, np.float32)
        return DecodeRequest(audio, self.language, options.candidates, self.prompt, options.hotwords,
                             final=self.kind != "partial", greedy=greedy)

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


def common_prefix(a: list[DecodedWord], b: list[DecodedWord]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if word_key(x.text) != word_key(y.text):
            break
        n += 1
    return n


def timeline_words(job: DecodeJob, result: DecodeResult | None, policy: SeamPolicy) -> list[Word]:
    """The result's words on the session timeline, minus what the job's seam context already holds."""
    if result is None:
        return []
    offset = job.start_sample / SAMPLE_RATE
    return [
        Word(w.text.strip(), round(offset + w.start, 3), round(offset + w.end, 3), round(w.probability, 4))
        for w in trim_seam(job.context, result.words, offset, policy)
    ]
