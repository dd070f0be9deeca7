"""`Redactor`: PII/PCI redaction of texts and whole Transcripts with indexed tokens.

Detection runs on the transcript text; character spans are then mapped onto `words[]` (one Word
per redacted stretch) and onto each utterance, all numbered from one `TokenBook`, so
`transcription`, `words` and `utterances` carry the same tokens. Nothing here logs text.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from models.redaction.config import RedactionConfig
from models.redaction.cues import cue_ending_at
from models.redaction.engine import build_analyzer, to_spans
from models.redaction.entities import ALL_ENTITIES, selected
from models.redaction.numbers import number_runs, tokenize
from models.redaction.recognizers import CARRY
from models.redaction.tokens import (
    Span,
    TokenBook,
    align_words,
    apply_to_text,
    apply_to_words,
    assign,
    unique_in_order,
)
from models.transcript import Transcript, Utterance, Word

# Which cue a number of this type at the very end of a final carries into the next final.
_CARRY_FROM_ENTITY = {"ACCOUNTNUMBER": "CARD", "PHONENUMBER": "PHONE", "SSN": "SSN", "CREDITCARDCVV": "CVV"}
_CARRY_KINDS = frozenset({"CARD", "CVV", "EXPIRY", "ACCOUNT", "PHONE", "SSN", "ZIP", "CARD_TAIL"})
_TAIL_TOKENS = 6


def language_code(language: str | None) -> str | None:
    """'en', 'en-US', 'EN' -> 'en'; None stays None."""
    if not language:
        return None
    return language.split("-")[0].split("_")[0].lower()


class Redactor:
    """Loads Presidio + spaCy once; every method is safe to call from many threads at once.

    The spaCy pass of one call holds a lock of this instance (a few milliseconds per sentence);
    recognizers and token assignment run outside it.
    """

    def __init__(self, config: RedactionConfig | None = None) -> None:
        self.config = config or RedactionConfig()
        self._analyzer = build_analyzer(self.config)
        self._nlp_lock = threading.Lock()
        self._entities = {
            lang: sorted(set(self._analyzer.get_supported_entities(lang)) & ALL_ENTITIES)
            for lang in self.config.languages
        }

    def enabled(self, language: str | None) -> bool:
        """Whether redaction does anything for this language (Pulse: `en` and `hi` only)."""
        return language_code(language) in self.config.languages

    # -- detection -------------------------------------------------------------------------

    def analyze(
        self, text: str, *, pii: bool, pci: bool, language: str | None, carry: frozenset[str] = frozenset()
    ) -> list[Span]:
        """Spans to redact in `text` for the selected flags (empty for other languages)."""
        lang = language_code(language)
        if not (pii or pci) or lang not in self._entities or not text.strip():
            return []
        with self._nlp_lock:
            artifacts = self._analyzer.nlp_engine.process_text(text, lang)
        reset = CARRY.set(carry)
        try:
            results = self._analyzer.analyze(
                text, language=lang, entities=self._entities[lang], nlp_artifacts=artifacts,
                score_threshold=self.config.score_threshold,
            )
        finally:
            CARRY.reset(reset)
        # Overlaps are settled over all types before the flags filter, so a card number stays a
        # card number (and is left alone) when only PII is asked for.
        wanted = selected(pii, pci)
        return [s for s in to_spans(text, results) if s.entity in wanted]

    @staticmethod
    def _carry_after(text: str, spans: Sequence[Span]) -> frozenset[str]:
        """Cue kinds left open at the end of `text` for the next final of a session."""
        toks = tokenize(text)
        runs = number_runs(text)
        tail_from = max(len(toks) - _TAIL_TOKENS, runs[-1].last + 1 if runs else 0)
        kinds = set()
        for p in range(tail_from, len(toks)):
            hit = cue_ending_at(toks, p)
            if hit is not None and hit[0] in _CARRY_KINDS:
                kinds.add(hit[0])
        if not kinds and runs and all(not t.is_word for t in toks[runs[-1].last + 1 :]):
            last = runs[-1]
            for s in spans:
                if s.start <= last.start < s.end or last.start <= s.start < last.end:
                    if s.entity in _CARRY_FROM_ENTITY:
                        kinds.add(_CARRY_FROM_ENTITY[s.entity])
        return frozenset(kinds)

    # -- public API ------------------------------------------------------------------------

    def redact_text(
        self, text: str, *, pii: bool, pci: bool, language: str | None, book: TokenBook
    ) -> tuple[str, list[str]]:
        """(redacted text, tokens used in it in order of appearance)."""
        if not (pii or pci) or not self.enabled(language):
            return text, []
        spans = self.analyze(text, pii=pii, pci=pci, language=language, carry=book.carry)
        book.carry = self._carry_after(text, spans)
        tokens = assign(spans, book)
        return apply_to_text(text, tokens), unique_in_order(tokens)

    def redact_transcript(
        self,
        transcript: Transcript,
        *,
        pii: bool,
        pci: bool,
        language: str | None,
        book: TokenBook | None = None,
    ) -> None:
        """Redact `transcript` in place: text, words, utterances; fills `redacted_entities`."""
        language = language or transcript.language
        if not (pii or pci) or not self.enabled(language):
            return
        book = book if book is not None else TokenBook()
        carry = book.carry
        original = transcript.text
        spans = self.analyze(original, pii=pii, pci=pci, language=language, carry=carry)
        book.carry = self._carry_after(original, spans)
        tokens = assign(spans, book)
        used = unique_in_order(tokens)
        transcript.text = apply_to_text(original, tokens)

        words = transcript.words
        if words:
            ranges = align_words(original, words)
            base_text, base_tokens = original, tokens
            if ranges is None:
                # The words do not spell the text (e.g. text from segments, words re-joined):
                # detect on the words' own text with the same book.
                base_text = " ".join(w.word.strip() for w in words)
                ranges = align_words(base_text, words)
                assert ranges is not None
                base_spans = self.analyze(base_text, pii=pii, pci=pci, language=language, carry=carry)
                base_tokens = assign(base_spans, book)
                used += [t for t in unique_in_order(base_tokens) if t not in used]
            transcript.utterances = self._utterances_from_words(
                transcript.utterances, words, ranges, base_text, base_tokens, pii=pii, pci=pci,
                language=language, book=book, used=used,
            )
            transcript.words = apply_to_words(base_text, words, ranges, base_tokens)
        else:
            transcript.utterances = [
                self._redact_utterance(u, pii=pii, pci=pci, language=language, book=book, used=used)
                for u in transcript.utterances
            ]
        transcript.redacted_entities = used

    # -- utterances ------------------------------------------------------------------------

    def _redact_utterance(
        self, u: Utterance, *, pii: bool, pci: bool, language: str | None, book: TokenBook, used: list[str]
    ) -> Utterance:
        carry = book.carry
        text, toks = self.redact_text(u.text, pii=pii, pci=pci, language=language, book=book)
        book.carry = carry  # utterances re-read text already seen; they must not move the session state
        used += [t for t in toks if t not in used]
        return Utterance(text=text, start=u.start, end=u.end, speaker=u.speaker, extra=dict(u.extra))

    def _utterances_from_words(
        self,
        utterances: list[Utterance],
        words: list[Word],
        ranges: list[tuple[int, int]],
        text: str,
        tokens: list[tuple[Span, str]],
        *,
        pii: bool,
        pci: bool,
        language: str | None,
        book: TokenBook,
        used: list[str],
    ) -> list[Utterance]:
        """Redact each utterance as the window of the transcript its words cover.

        Utterances are consecutive runs of the words (see models/utterances.py); when one does not
        match its words it is redacted on its own text with the same book.
        """
        out: list[Utterance] = []
        w = 0
        for u in utterances:
            target = " ".join(u.text.split())
            k = w
            joined = ""
            while k < len(words) and len(joined) < len(target):
                joined = (joined + " " + words[k].word.strip()).strip()
                k += 1
            if joined == target and k > w:
                a, b = ranges[w][0], ranges[k - 1][1]
                inner = [
                    (Span(max(s.start, a) - a, min(s.end, b) - a, s.entity, s.token_type, s.normalized, s.score), t)
                    for s, t in tokens
                    if s.start < b and a < s.end
                ]
                redacted = " ".join(apply_to_text(text[a:b], inner).split())
                out.append(Utterance(text=redacted, start=u.start, end=u.end, speaker=u.speaker, extra=dict(u.extra)))
                w = k
            else:
                out.append(self._redact_utterance(u, pii=pii, pci=pci, language=language, book=book, used=used))
        return out
