"""First and last names: spaCy PERSON, cue phrases ("my name is"), name lists, spelled-out names.

spaCy's small model finds names in cased text; ASR output is often lower case and unpunctuated,
where it finds almost none. Cue phrases and the given-name/surname lists cover that case. Every
name is split: the first word is FIRSTNAME, the rest LASTNAME; a name after a title ("Mr. Shah")
or a "last name is" cue is LASTNAME only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from models.redaction.address import mixed_case
from models.redaction.lexicon import (
    DIGIT_WORDS,
    FILLERS,
    MONTHS,
    NOT_NAME_WORDS,
    PERSON_CUES,
    STREET_SUFFIXES,
    TEEN_WORDS,
    TENS_WORDS,
    TITLES,
    WEEKDAYS,
)
from models.redaction.names import AMBIGUOUS, FIRST_NAMES, LAST_NAMES
from models.redaction.numbers import Tok, tokenize
from models.redaction.recognizers import TranscriptRecognizer, make_result

_CUE_INDEX: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
for _phrase, _strength, _part in PERSON_CUES:
    _CUE_INDEX.setdefault(_phrase[-1], []).append((_phrase, _strength, _part))

_SCORES = {"strong": 0.85, "medium": 0.75, "weak": 0.65, "spacy": 0.75, "pair": 0.75, "single": 0.6}
_SPELL_CUES = frozenset({"spelled", "spelt", "spelling", "spell", "that's", "thats", "as", "is"})


@dataclass
class _Name:
    first: int  # token indices, inclusive
    last: int
    part: str  # "full", "first" or "last"
    score: float


def _bare(t: Tok) -> str:
    """Lower-case token without a possessive "'s"."""
    return t.lower[:-2] if t.lower.endswith("'s") else t.lower


def _end(t: Tok) -> int:
    """Character end of a name token, leaving a possessive "'s" outside the redaction."""
    return t.end - 2 if t.lower.endswith("'s") else t.end


def _plausible(t: Tok) -> bool:
    """Could this token be (part of) a personal name at all?"""
    w = _bare(t)
    return (
        t.is_word
        and len(w) > 1
        and w not in NOT_NAME_WORDS
        and w not in DIGIT_WORDS
        and w not in TEEN_WORDS
        and w not in TENS_WORDS
        and w not in WEEKDAYS
        and w not in FILLERS
        and w not in STREET_SUFFIXES
        and w.rstrip(".") not in TITLES
        and not (w in MONTHS and w not in FIRST_NAMES)
    )


class NameRecognizer(TranscriptRecognizer):
    """FIRSTNAME and LASTNAME spans."""

    ENTITIES = ("FIRSTNAME", "LASTNAME")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        toks = tokenize(text)
        if not toks:
            return []
        cased = mixed_case(text)
        pos = self._pos_by_start(nlp_artifacts)
        names: list[_Name] = []
        names.extend(self._from_spacy(toks, nlp_artifacts, cased))
        names.extend(self._from_cues(toks, cased, pos))
        if self.config.name_gazetteer:
            names.extend(self._from_lists(toks, cased))
        merged = self._merge(names)
        merged.extend(self._spelled(toks, merged))
        return self._results(toks, merged)

    # -- sources ---------------------------------------------------------------------------

    @staticmethod
    def _pos_by_start(nlp_artifacts: NlpArtifacts | None) -> dict[int, str]:
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return {}
        return {t.idx: t.pos_ for t in nlp_artifacts.tokens}

    def _from_spacy(self, toks: Sequence[Tok], nlp_artifacts: NlpArtifacts | None, cased: bool) -> list[_Name]:
        out: list[_Name] = []
        if nlp_artifacts is None:
            return out
        by_start = {t.start: i for i, t in enumerate(toks)}
        for ent in nlp_artifacts.entities:
            if ent.label_ != "PERSON":
                continue
            a = by_start.get(ent.start_char)
            if a is None:
                continue
            b = a
            while b + 1 < len(toks) and toks[b + 1].end <= ent.end_char:
                b += 1
            part = "full"
            while a <= b and (toks[a].lower.rstrip(".") in TITLES or toks[a].text == "."):
                part = "last" if toks[a].lower.rstrip(".") in TITLES else part
                a += 1
            span = [t for t in toks[a : b + 1] if t.text not in (".", "-")]
            if not span or not all(_plausible(t) for t in span):
                continue
            known = any(_bare(t) in FIRST_NAMES or _bare(t) in LAST_NAMES for t in span)
            if not cased and not known:
                continue  # spaCy guesses wildly on lower-case text
            sentence_start = a == 0 or toks[a - 1].text in (".", "?", "!")
            if len(span) == 1 and sentence_start and not known:
                continue  # "Drop it off at …": a capitalised verb, not a name
            if a > 0 and toks[a - 1].lower.rstrip(".") in TITLES:
                part = "last"
            if part == "last" and b > a:
                part = "full"  # "Dr. Jane Smith"
            out.append(_Name(a, b, part, _SCORES["spacy"]))
        return out

    def _take(self, toks: Sequence[Tok], q: int, strength: str, cased: bool, pos: dict[int, str]) -> int | None:
        """Last token of a name starting at `q` after a cue of `strength`, or None."""
        n = len(toks)
        if q >= n or not _plausible(toks[q]):
            return None
        w = _bare(toks[q])
        capital = cased and toks[q].text[0].isupper()
        known = w in FIRST_NAMES or w in LAST_NAMES
        # "this is grace turner": an ambiguous given name counts when a known surname follows.
        surname_next = q + 1 < n and _plausible(toks[q + 1]) and _bare(toks[q + 1]) in LAST_NAMES
        if strength == "strong":
            ok = True
        elif strength == "medium":
            ok = (known and (w not in AMBIGUOUS or surname_next)) or (capital and pos.get(toks[q].start) == "PROPN")
        else:
            ok = (w in FIRST_NAMES and (w not in AMBIGUOUS or surname_next)) or (
                capital and pos.get(toks[q].start) == "PROPN" and known
            )
        if not ok:
            return None
        last = q
        # Up to two more words: known names, or capitalised proper nouns in cased text.
        while last + 1 < n and last - q < 2 and not toks[last].lower.endswith("'s"):
            t = toks[last + 1]
            if not _plausible(t):
                break
            v = _bare(t)
            cap = cased and t.text[0].isupper()
            if (v in LAST_NAMES or v in FIRST_NAMES) and (cap or not cased or v not in AMBIGUOUS):
                last += 1
            elif cap and pos.get(t.start) in ("PROPN", "NOUN", "ADJ", "X"):
                last += 1
            elif not cased and strength == "strong" and pos.get(t.start) in ("PROPN", "NOUN") and last == q:
                last += 1  # "my name is joe bloggs": an unknown surname right after the given name
            else:
                break
        return last

    def _from_cues(self, toks: Sequence[Tok], cased: bool, pos: dict[int, str]) -> list[_Name]:
        out: list[_Name] = []
        n = len(toks)
        for p in range(n):
            t = toks[p]
            key = t.lower.rstrip(".")
            if key in TITLES and p + 1 < n:
                q = p + 1
                if toks[q].text == ".":
                    q += 1
                if q < n and _plausible(toks[q]) and (
                    (cased and toks[q].text[0].isupper()) or _bare(toks[q]) in LAST_NAMES or _bare(toks[q]) in FIRST_NAMES
                ):
                    last = self._take(toks, q, "strong", cased, pos)
                    if last is not None:
                        part = "full" if last > q else "last"
                        out.append(_Name(q, last, part, _SCORES["strong"]))
                continue
            best: tuple[tuple[str, ...], str, str] | None = None
            for phrase, strength, part in _CUE_INDEX.get(t.lower, ()):
                a = p - len(phrase) + 1
                if a >= 0 and all(toks[a + i].lower == phrase[i] for i in range(len(phrase))):
                    if best is None or len(phrase) > len(best[0]):
                        best = (phrase, strength, part)
            if best is None:
                continue
            _, strength, part = best
            q = p + 1
            while q < n and (toks[q].text in (",", ":", "-") or toks[q].lower in FILLERS):
                q += 1
            last = self._take(toks, q, strength, cased, pos)
            if last is None:
                continue
            if part in ("first", "last"):
                last = q  # "first name is Mary" names one word
            out.append(_Name(q, last, part, _SCORES[strength]))
        return out

    def _from_lists(self, toks: Sequence[Tok], cased: bool) -> list[_Name]:
        out: list[_Name] = []
        n = len(toks)
        for i, t in enumerate(toks):
            if not _plausible(t):
                continue
            w = _bare(t)
            if w not in FIRST_NAMES:
                continue
            if cased and not t.text[0].isupper() and i > 0:
                # In cased text a lower-case given name is usually the word, not the name.
                if w in AMBIGUOUS or w in LAST_NAMES:
                    continue
            nxt = toks[i + 1] if i + 1 < n else None
            if nxt is not None and _plausible(nxt) and _bare(nxt) in LAST_NAMES and not t.lower.endswith("'s"):
                v = _bare(nxt)
                both_cap = cased and t.text[0].isupper() and nxt.text[0].isupper()
                if (w not in AMBIGUOUS and v not in AMBIGUOUS) or both_cap:
                    out.append(_Name(i, i + 1, "full", _SCORES["pair"]))
                    continue
            if w not in AMBIGUOUS and w not in LAST_NAMES and (not cased or t.text[0].isupper()):
                out.append(_Name(i, i, "first", _SCORES["single"]))
        return out

    @staticmethod
    def _merge(names: list[_Name]) -> list[_Name]:
        """Union overlapping candidates; a cue's part ("first"/"last") beats "full"."""
        names = sorted(names, key=lambda x: (x.first, -x.last))
        merged: list[_Name] = []
        for name in names:
            if merged and name.first <= merged[-1].last:
                top = merged[-1]
                if name.last > top.last:
                    top.last = name.last
                    if top.part != "full" and top.last > top.first:
                        top.part = "full" if top.part == "first" else top.part
                if top.part == "full" and name.part != "full" and name.first == top.first and name.last == top.last:
                    top.part = name.part
                top.score = max(top.score, name.score)
            else:
                merged.append(_Name(name.first, name.last, name.part, name.score))
        return merged

    @staticmethod
    def _spelled(toks: Sequence[Tok], names: list[_Name]) -> list[_Name]:
        """'Smith, S M I T H' / 'spelled s-m-i-t-h': letters spelled right after a name."""
        out: list[_Name] = []
        n = len(toks)
        for name in names:
            q = name.last + 1
            hops = 0
            while q < n and hops < 3 and (toks[q].text in (",", ".", ":", "-") or toks[q].lower in _SPELL_CUES):
                q += 1
                hops += 1
            a = q
            letters = 0
            last = None
            while q < n:
                t = toks[q]
                if t.is_word and len(t.text) == 1:
                    letters += 1
                    last = q
                elif t.text in ("-", ".", ",") and letters:
                    pass
                else:
                    break
                q += 1
            if letters >= 2 and last is not None:
                part = "first" if name.part == "first" or (name.part == "full" and name.last == name.first) else "last"
                out.append(_Name(a, last, part, name.score))
        return out

    def _results(self, toks: Sequence[Tok], names: list[_Name]) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for name in names:
            a, b = name.first, name.last
            if name.part == "first" or (name.part == "full" and a == b and _bare(toks[a]) not in self._last_only()):
                out.append(self._one("FIRSTNAME", toks, a, b, name.score))
            elif name.part == "last" or (name.part == "full" and a == b):
                out.append(self._one("LASTNAME", toks, a, b, name.score))
            else:
                out.append(self._one("FIRSTNAME", toks, a, a, name.score))
                out.append(self._one("LASTNAME", toks, a + 1, b, name.score))
        return out

    @staticmethod
    def _last_only() -> frozenset[str]:
        return _LAST_ONLY

    def _one(self, entity: str, toks: Sequence[Tok], a: int, b: int, score: float) -> RecognizerResult:
        words = [t for t in toks[a : b + 1] if t.is_word]
        normalized = "".join(_bare(t) for t in words)
        return make_result(entity, toks[a].start, _end(toks[b]), score, normalized, self.name)


_LAST_ONLY = LAST_NAMES - FIRST_NAMES
