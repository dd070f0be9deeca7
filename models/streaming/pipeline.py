"""The stages of a live final, in order, in one place (the streaming mirror of `models/pipeline.py`).

Final: text options (ITN, formatting, keyword casing) → speaker labels → redaction → utterances.
Partial: formatting switches only (no ITN, §4.5.3) → redaction, so `punctuate=false` and friends hold
on interim messages too and no unredacted text reaches the wire. The transport calls `feed`,
`final` (as the runner's final hook) and `partial`; it never calls a stage itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, fields, replace

import numpy as np

from models.stages import Stages
from models.streaming.enrich import LiveEnrichment
from models.streaming.jobs import FinalSegment
from models.text import TextOptions, apply_text_options
from models.transcript import Utterance
from models.utterances import join_words, split_utterances


@dataclass(frozen=True)
class LiveStageOptions:
    """What one session asked for, already validated by the transport layer."""

    text: TextOptions = TextOptions()
    diarize: bool = False
    redact_pii: bool = False
    redact_pci: bool = False
    # `sentence_timestamps`: split each final into utterances at sentence ends and pauses this long.
    utterances: bool = False
    utterance_pause_seconds: float = 0.8
    language: str | None = None


@dataclass
class LiveFinal(FinalSegment):
    """A final after every stage: the runner's segment plus its utterances."""

    utterances: list[Utterance] = field(default_factory=list)


class LivePipeline:
    """Per-session stage state (speaker tracker, redaction token book); blocking work runs off the event loop."""

    def __init__(self, stages: Stages, options: LiveStageOptions) -> None:
        self.options = options
        self.enrich = LiveEnrichment(
            stages, diarize=options.diarize, redact_pii=options.redact_pii, redact_pci=options.redact_pci
        )
        # Partials use the language of the latest final when the session auto-detects.
        self.language = options.language
        self._partial_text = replace(options.text, itn=False, numerals=None, keywords=())

    @property
    def redacting(self) -> bool:
        return self.enrich.redacting

    def feed(self, samples: np.ndarray) -> None:
        """Session audio that a later final may need for its voice print."""
        self.enrich.feed(samples)

    async def final(self, segment: FinalSegment) -> LiveFinal:
        return await asyncio.to_thread(self._final, segment)

    async def partial(self, text: str) -> tuple[str, list[str]]:
        """An interim text with the formatting switches applied, redacted when redaction is on."""
        if not text:
            return text, []
        if not self.redacting:  # formatting alone is a few string operations: no thread hop
            return self._partial(text, self.language)
        return await asyncio.to_thread(self._partial, text, self.language)

    def _final(self, segment: FinalSegment) -> LiveFinal:
        words, text = apply_text_options(
            segment.words, join_words(segment.words, segment.language), self.options.text, segment.language
        )
        segment = replace(segment, words=words, display_text=text)
        if segment.language:
            self.language = segment.language
        if self.enrich.active:
            segment, entities = self.enrich.final(segment)
            segment = replace(segment, redacted_entities=entities)
        utterances = (
            split_utterances(segment.words, self.options.utterance_pause_seconds, segment.language)
            if self.options.utterances
            else []
        )
        return LiveFinal(**{f.name: getattr(segment, f.name) for f in fields(FinalSegment)}, utterances=utterances)

    def _partial(self, text: str, language: str | None) -> tuple[str, list[str]]:
        _, text = apply_text_options([], text, self._partial_text, language)
        return self.enrich.partial(text, language)
