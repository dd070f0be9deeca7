"""Street addresses in transcripts: building number, street, unit, and the town/state after them.

"742 Evergreen Terrace", "four fifty five elm avenue apartment three b", "221B Baker Street,
London", "I live on Maple Street", "I live in Springfield, Illinois", "P.O. Box 1234". The house
and unit numbers become BUILDINGNUMBER, the street and locality ADDRESS; ZIP codes are
`NumberRecognizer`'s (a PCI type).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from models.redaction.lexicon import (
    ADDRESS_CUES,
    DIGIT_WORDS,
    DIRECTIONS,
    FILLERS,
    STATE_ABBREVIATIONS,
    STREET_SUFFIXES,
    UNIT_DESIGNATORS,
    UNIT_WORDS,
    US_STATES,
    WEAK_STREET_SUFFIXES,
)
from models.redaction.numbers import NumberRun, Tok, number_runs, tokenize
from models.redaction.recognizers import WORDLIKE_STATES, TranscriptRecognizer, make_result

# Words that cannot be part of a street or town name.
_STOP = frozenset({
    "the", "a", "an", "and", "or", "to", "of", "in", "on", "at", "for", "with", "my", "your", "our", "their",
    "his", "her", "from", "is", "was", "are", "were", "it", "i", "you", "we", "they", "he", "she", "this",
    "that", "by", "but", "so", "if", "then", "than", "as", "be", "been", "down", "up", "across", "along",
    "near", "past", "off", "just", "about", "around", "there", "here", "last", "next", "ago", "recently",
    "now", "today", "yesterday", "tomorrow", "year", "years", "month", "months", "week", "weeks", "since",
    "because", "where", "which", "who", "what", "when", "how", "am", "pm", "not", "no", "yes", "please",
    "thanks", "thank", "okay", "ok", "right", "left", "same", "other", "another", "every", "some", "any",
    "all", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "like", "will",
}) | UNIT_WORDS
_LOCATION_LABELS = frozenset({"GPE", "LOC", "FAC"})
_PO_BOX = re.compile(r"\b(?:p\.?\s?o\.?|post\s+office)\s+box\b", re.IGNORECASE)
_POSTAL_HINT = re.compile(r"\b(?:zip|postal|post\s?code|postcode|address)\b", re.IGNORECASE)
_ORDINAL_SUFFIX = frozenset({"st", "nd", "rd", "th"})
_LOCATION_CUES = frozenset({
    ("live", "in"), ("lives", "in"), ("living", "in"), ("reside", "in"), ("resides", "in"), ("residing", "in"),
    ("moved", "to"), ("address", "is"), ("located", "in"),
})


def mixed_case(text: str) -> bool:
    """True when the text carries capitalisation (not the all-lower output some ASR produces)."""
    words = re.findall(r"[^\W\d_]+", text)
    return sum(1 for w in words if w[0].isupper() and w.lower() != "i") >= 1 and not text.isupper()


class AddressRecognizer(TranscriptRecognizer):
    """ADDRESS and BUILDINGNUMBER spans."""

    ENTITIES = ("ADDRESS", "BUILDINGNUMBER")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        toks = tokenize(text)
        runs = number_runs(text)
        cased = mixed_case(text)
        places = [
            (e.start_char, e.end_char) for e in (nlp_artifacts.entities if nlp_artifacts else [])
            if e.label_ in _LOCATION_LABELS
        ]
        out: list[RecognizerResult] = []
        for run in runs:
            out.extend(self._numbered_street(text, toks, run, cased, places))
        out.extend(self._po_boxes(text, toks, runs, cased, places))
        out.extend(self._cued(toks, cased, places, out))
        out.extend(self._places_near_address(toks, places, out, text))
        return out

    # -- pieces ----------------------------------------------------------------------------

    def _street_after(self, toks: Sequence[Tok], j: int, weak_ok: bool) -> int | None:
        """Token index of the street suffix ending a street name that starts at `j`."""
        n = len(toks)
        k = j
        names = 0
        if k < n and toks[k].lower in DIRECTIONS and k + 1 < n and toks[k + 1].is_word:
            k += 1
        while k < n and names <= self.config.max_street_words:
            t = toks[k]
            # A street name ASR lost ("14 Lakeview Drive" -> "148U Drive") still leaves a capitalised suffix.
            nameless = names == 0 and t.text[0].isupper() and t.lower not in WEAK_STREET_SUFFIXES and len(t.text) > 2
            if t.lower in STREET_SUFFIXES and (names >= 1 or nameless) and (weak_ok or t.lower not in WEAK_STREET_SUFFIXES):
                while k + 1 < n and toks[k + 1].lower in STREET_SUFFIXES and toks[k + 1].lower not in WEAK_STREET_SUFFIXES:
                    k += 1
                if k + 1 < n and toks[k + 1].lower in DIRECTIONS and len(toks[k + 1].text) <= 2 and toks[k + 1].text.isupper():
                    k += 1
                return k
            if t.is_digits and k + 1 < n and toks[k + 1].lower in _ORDINAL_SUFFIX and toks[k + 1].start == t.end:
                names += 1
                k += 2
                continue
            if t.is_word and t.lower not in _STOP and len(t.text) > 1 or (t.is_word and t.text.isupper()):
                if t.lower in DIGIT_WORDS or t.lower in FILLERS:
                    return None
                names += 1
                k += 1
                continue
            return None
        return None

    def _unit_after(self, toks: Sequence[Tok], k: int) -> tuple[int, int, int] | None:
        """(designator, id first, id last) token indices of "apartment 4B", "suite 300", "#12"."""
        n = len(toks)
        while k < n and toks[k].text == ",":
            k += 1
        if k >= n or toks[k].lower not in UNIT_DESIGNATORS:
            return None
        d = k
        k += 1
        if k < n and toks[k].lower in ("number", "no", "#"):
            k += 1
        if k >= n:
            return None
        first = k
        t = toks[k]
        if t.is_digits:
            last = k
            if k + 1 < n and toks[k + 1].is_word and len(toks[k + 1].text) == 1 and toks[k + 1].start == t.end:
                last = k + 1
            return d, first, last
        if t.lower in DIGIT_WORDS or t.lower in ("ten", "eleven", "twelve") or (t.is_word and len(t.text) == 1):
            last = k
            # spoken "three b", "twelve", "four one two"
            while last + 1 < n and (toks[last + 1].lower in DIGIT_WORDS or (toks[last + 1].is_word and len(toks[last + 1].text) == 1)):
                last += 1
                if last - first >= 3:
                    break
            return d, first, last
        return None

    def _locality_after(self, toks: Sequence[Tok], k: int, cased: bool, places: list[tuple[int, int]]) -> int | None:
        """Last token index of ", Springfield, Illinois" / " in London" after a street, or None."""
        n = len(toks)
        q = k
        while q < n and toks[q].text == ",":
            q += 1
        if q < n and toks[q].lower == "in":
            q += 1
        if q >= n or not toks[q].is_word or toks[q].lower in _STOP:
            return None
        # A state name within the next few words closes the locality.
        p = q
        while p < n and p - q < 5 and (toks[p].is_word or toks[p].text == ","):
            if toks[p].is_word and toks[p].lower in _STOP:
                break
            for width in (3, 2, 1):
                if p + width <= n and " ".join(t.lower for t in toks[p : p + width]) in US_STATES:
                    return p + width - 1
            if len(toks[p].text) == 2 and toks[p].lower in STATE_ABBREVIATIONS and p > q:
                zip_next = p + 1 < n and toks[p + 1].is_digits and len(toks[p + 1].text) == 5
                if toks[p].text.isupper() or (zip_next and toks[p].lower not in WORDLIKE_STATES):
                    return p
            p += 1
        for start, end in places:
            if start == toks[q].start:
                last = q
                while last + 1 < n and toks[last + 1].end <= end:
                    last += 1
                return last
        if cased and toks[q].text[0].isupper():
            last = q
            while last + 1 < n and toks[last + 1].is_word and toks[last + 1].text[0].isupper() and last - q < 2:
                last += 1
            return last
        return None

    def _numbered_street(
        self, text: str, toks: Sequence[Tok], run: NumberRun, cased: bool, places: list[tuple[int, int]]
    ) -> list[RecognizerResult]:
        if run.plus or len(run.digits) > 6 or len(run.chunks) > 4:
            return []
        n = len(toks)
        num_first = run.chunks[0].first
        num_last = run.chunks[-1].last
        j = num_last + 1
        letter = ""
        if j < n and toks[j].is_word and len(toks[j].text) == 1 and toks[j].start == toks[num_last].end:
            letter = toks[j].lower
            num_last = j
            j += 1
        if j < n and toks[j].lower in _ORDINAL_SUFFIX and toks[j].start == toks[num_last].end:
            return []  # "42nd street" names the street, it is not a house number
        suffix = self._street_after(toks, j, weak_ok=True)
        if suffix is None and j + 1 < n and toks[j].text == "-" and toks[j].start == toks[num_last].end:
            # ASR hyphenates the number onto a misheard street name ("14 Lakeview Drive" -> "4-acre new
            # drive"); two name words at least, so "a 2-lane road" stays a description.
            suffix = self._street_after(toks, j + 1, weak_ok=False)
            if suffix is not None and suffix - (j + 1) < 2:
                suffix = None
            j = j + 1
        if suffix is None:
            return []
        out = [
            make_result("BUILDINGNUMBER", toks[num_first].start, toks[num_last].end, 0.85,
                        run.digits + letter, self.name)
        ]
        end_tok = suffix
        unit = self._unit_after(toks, suffix + 1)
        tail = suffix + 1
        if unit is not None:
            _, a, b = unit
            out.append(make_result("BUILDINGNUMBER", toks[a].start, toks[b].end, 0.8,
                                   "".join(t.lower for t in toks[a : b + 1]), self.name))
            tail = b + 1
        locality = self._locality_after(toks, tail, cased, places)
        out.extend(self._street_and_locality(toks, j, end_tok, tail, locality, 0.85))
        return out

    def _street_and_locality(
        self, toks: Sequence[Tok], j: int, end_tok: int, tail: int, locality: int | None, score: float
    ) -> list[RecognizerResult]:
        """One ADDRESS for the street and, when nothing but a comma or "in" separates them, the locality."""
        out = []
        if locality is not None and tail == end_tok + 1:
            return [make_result("ADDRESS", toks[j].start, toks[locality].end, score,
                                " ".join(t.lower for t in toks[j : locality + 1] if t.is_word), self.name)]
        out.append(make_result("ADDRESS", toks[j].start, toks[end_tok].end, score,
                               " ".join(t.lower for t in toks[j : end_tok + 1]), self.name))
        if locality is not None:
            q = tail
            while toks[q].text == "," or toks[q].lower == "in":
                q += 1
            out.append(make_result("ADDRESS", toks[q].start, toks[locality].end, score - 0.05,
                                   " ".join(t.lower for t in toks[q : locality + 1] if t.is_word), self.name))
        return out

    def _po_boxes(
        self, text: str, toks: Sequence[Tok], runs: Sequence[NumberRun], cased: bool, places: list[tuple[int, int]]
    ) -> list[RecognizerResult]:
        out = []
        for m in _PO_BOX.finditer(text):
            for run in runs:
                if 0 <= run.start - m.end() <= 2:
                    end = run.end
                    locality = self._locality_after(toks, run.last + 1, cased, places)
                    if locality is not None:
                        end = toks[locality].end
                    out.append(make_result("ADDRESS", m.start(), end, 0.85, "po box " + run.digits, self.name))
                    break
        return out

    def _places_near_address(
        self, toks: Sequence[Tok], places: list[tuple[int, int]], found: list[RecognizerResult], text: str
    ) -> list[RecognizerResult]:
        """Towns spaCy tagged (GPE/LOC) in a text that already holds an address or postcode."""
        if not found and not _POSTAL_HINT.search(text):
            return []
        taken = [(r.start, r.end) for r in found]
        out = []
        for start, end in places:
            if any(a < end and start < b for a, b in taken):
                continue
            out.append(make_result("ADDRESS", start, end, 0.6, text[start:end].lower(), self.name))
        return out

    def _cued(
        self, toks: Sequence[Tok], cased: bool, places: list[tuple[int, int]], found: list[RecognizerResult]
    ) -> list[RecognizerResult]:
        """'I live on Maple Street' and 'I live in Springfield, Illinois' (no building number)."""
        out: list[RecognizerResult] = []
        taken = [(r.start, r.end) for r in found]
        n = len(toks)
        for p in range(n):
            cue = None
            for phrase in ADDRESS_CUES:
                a = p - len(phrase) + 1
                if a >= 0 and all(toks[a + i].lower == phrase[i] for i in range(len(phrase))):
                    if cue is None or len(phrase) > len(cue):
                        cue = phrase
            if cue is None:
                continue
            j = p + 1
            while j < n and toks[j].text in (",", ":"):
                j += 1
            if j >= n or any(s <= toks[j].start < e for s, e in taken):
                continue
            suffix = self._street_after(toks, j, weak_ok=False)
            if suffix is not None:
                locality = self._locality_after(toks, suffix + 1, cased, places)
                out.extend(self._street_and_locality(toks, j, suffix, suffix + 1, locality, 0.75))
                continue
            if tuple(cue[-2:]) in _LOCATION_CUES or cue == ("address", "is"):
                locality = self._locality_after(toks, j, cased, places)
                if locality is None and not cased and toks[j].is_word and toks[j].lower not in _STOP:
                    locality = j  # lower-case ASR: "i live in springfield"
                    if j + 1 < n and toks[j + 1].is_word and toks[j + 1].lower in US_STATES:
                        locality = j + 1
                if locality is not None:
                    out.append(make_result("ADDRESS", toks[j].start, toks[locality].end, 0.7,
                                           " ".join(t.lower for t in toks[j : locality + 1]), self.name))
        return out
