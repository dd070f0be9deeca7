"""Calendar dates and clock times, written or spoken; durations ("in five minutes") are left alone.

DATE: "03/15/1985", "1985-03-15", "March 3rd, 2024", "the third of March", "june fifteenth nineteen
eighty five", "15 March 2024". A bare month or weekday is not a date. TIME: "3:30 pm", "10am",
"three thirty p m", "seven o'clock", "at ten fifteen", "half past four".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from models.redaction.lexicon import (
    AMBIGUOUS_MONTHS,
    DIGIT_WORDS,
    MONTHS,
    ORDINAL_WORDS,
    TEEN_WORDS,
    TENS_WORDS,
    WEEKDAYS,
)
from models.redaction.numbers import NumberRun, Tok, number_runs, tokenize
from models.redaction.recognizers import TranscriptRecognizer, make_result

_NUMERIC_DATE = re.compile(r"\b(\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})\b")
_CLOCK = re.compile(r"\b(\d{1,2}:[0-5]\d(?::[0-5]\d)?(?:\s*[ap]\.?\s?m\b\.?)?)", re.IGNORECASE)
_HOUR_AMPM = re.compile(r"\b(\d{1,2}\s*[ap]\.?\s?m\b\.?)", re.IGNORECASE)
_ORD_SUFFIX = frozenset({"st", "nd", "rd", "th"})
_HOURS = {w: v for w, v in {**DIGIT_WORDS, **TEEN_WORDS}.items() if 1 <= v <= 12 and w.isascii()}
_MARKERS = (
    ("a", "m"), ("p", "m"), ("am",), ("pm",), ("a.m.",), ("p.m.",), ("a.m",), ("p.m",), ("o'clock",), ("oclock",),
    ("in", "the", "morning"), ("in", "the", "afternoon"), ("in", "the", "evening"), ("at", "night"), ("sharp",),
)


def _ordinal_day(toks: Sequence[Tok], i: int) -> int | None:
    """Last token index of a day of month at `i`: '3', '3rd', 'third', 'twenty first', 'thirty-first'."""
    n = len(toks)
    if i >= n:
        return None
    t = toks[i]
    if t.is_digits and 1 <= int(t.text) <= 31 and len(t.text) <= 2:
        if i + 1 < n and toks[i + 1].lower in _ORD_SUFFIX and toks[i + 1].start == t.end:
            return i + 1
        return i
    if t.lower in ORDINAL_WORDS:
        return i
    if t.lower in ("twenty", "thirty"):
        j = i + 1
        if j < n and toks[j].text == "-":
            j += 1
        if j < n and toks[j].lower in ORDINAL_WORDS and ORDINAL_WORDS[toks[j].lower] < 10:
            return j
    return None


def _year(toks: Sequence[Tok], i: int, runs_at: dict[int, NumberRun]) -> int | None:
    """Last token index of a year at `i`: '2024', "'85", 'twenty twenty four', 'nineteen eighty five'."""
    n = len(toks)
    while i < n and toks[i].text == ",":
        i += 1
    if i >= n:
        return None
    t = toks[i]
    if t.is_digits and len(t.text) == 4 and t.text[:2] in ("19", "20"):
        return i
    run = runs_at.get(i)
    if run is not None and run.spoken and len(run.digits) == 4 and run.digits[:2] in ("19", "20"):
        return run.last
    return None


class DateTimeRecognizer(TranscriptRecognizer):
    """DATE and TIME spans."""

    ENTITIES = ("DATE", "TIME")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        toks = tokenize(text)
        runs_at = {r.first: r for r in number_runs(text)}
        out: list[RecognizerResult] = []
        for m in _NUMERIC_DATE.finditer(text):
            out.append(make_result("DATE", m.start(1), m.end(1), 0.8, re.sub(r"\D", "", m.group(1)), self.name))
        out.extend(self._month_dates(toks, runs_at))
        for pattern in (_CLOCK, _HOUR_AMPM):
            for m in pattern.finditer(text):
                out.append(make_result("TIME", m.start(1), m.end(1), 0.8, re.sub(r"[\s.]", "", m.group(1).lower()),
                                       self.name))
        out.extend(self._spoken_times(toks))
        return out

    def _month_dates(self, toks: Sequence[Tok], runs_at: dict[int, NumberRun]) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        n = len(toks)
        for i, t in enumerate(toks):
            if t.lower not in MONTHS or (t.lower in ("mar", "jan", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
                                         and not t.text[0].isupper()):
                continue
            first, last = i, None
            # "March 3rd, 2024" / "june fifteenth nineteen eighty five" / "March 2024"
            q = i + 1
            if q < n and toks[q].text == ".":
                q += 1
            if q < n and toks[q].lower == "the":
                q += 1
            day = _ordinal_day(toks, q)
            if day is not None:
                last = day
                year = _year(toks, day + 1, runs_at)
                if year is not None:
                    last = year
            else:
                year = _year(toks, i + 1, runs_at)
                if year is not None:
                    last = year
            # "the third of March (2024)" / "15 March" / "twenty first of march"
            p = i - 1
            if p >= 0 and toks[p].lower == "of":
                p -= 1
            d0 = next((s for s in (p - 2, p - 1, p) if s >= 0 and _ordinal_day(toks, s) == p), None)
            if d0 is not None:
                first = d0
                if first > 0 and toks[first - 1].lower == "the":
                    first -= 1
                if last is None:
                    year = _year(toks, i + 1, runs_at)
                    last = year if year is not None else i
            if last is None:
                continue
            if t.lower in AMBIGUOUS_MONTHS and first == i and last == i:
                continue
            # A weekday right before: "Monday, March 3rd".
            w = first - 1
            if w >= 0 and toks[w].text == ",":
                w -= 1
            if w >= 0 and toks[w].lower in WEEKDAYS:
                first = w
            out.append(make_result("DATE", toks[first].start, toks[last].end, 0.8,
                                   " ".join(x.lower for x in toks[first : last + 1]), self.name))
        return out

    def _marker_at(self, toks: Sequence[Tok], i: int) -> int | None:
        for marker in _MARKERS:
            if i + len(marker) <= len(toks) and all(toks[i + k].lower == marker[k] for k in range(len(marker))):
                last = i + len(marker) - 1
                if last + 1 < len(toks) and toks[last + 1].text == "." and marker[-1] in ("m", "p.m", "a.m"):
                    last += 1
                return last
        return None

    def _spoken_times(self, toks: Sequence[Tok]) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        n = len(toks)
        i = 0
        while i < n:
            t = toks[i]
            # "half past four", "quarter to five"
            if t.lower in ("half", "quarter") and i + 2 < n and toks[i + 1].lower in ("past", "to", "after"):
                if toks[i + 2].lower in _HOURS or (toks[i + 2].is_digits and 1 <= int(toks[i + 2].text) <= 12):
                    out.append(make_result("TIME", t.start, toks[i + 2].end, 0.75,
                                           " ".join(x.lower for x in toks[i : i + 3]), self.name))
                    i += 3
                    continue
            if t.lower in _HOURS:
                j = i + 1
                minutes = False
                # minutes: "oh five", "fifteen", "thirty", "forty five"
                if j + 1 < n and toks[j].lower in ("oh", "o") and toks[j + 1].lower in DIGIT_WORDS:
                    j += 2
                    minutes = True
                elif j < n and (toks[j].lower in TEEN_WORDS and toks[j].lower != "ten" or toks[j].lower in TENS_WORDS):
                    if toks[j].lower in TENS_WORDS and toks[j].lower in ("twenty", "thirty", "forty", "fourty", "fifty"):
                        j += 1
                        if j < n and toks[j].lower in DIGIT_WORDS and DIGIT_WORDS[toks[j].lower] > 0:
                            j += 1
                        minutes = True
                    elif toks[j].lower in TEEN_WORDS:
                        j += 1
                        minutes = True
                marker = self._marker_at(toks, j)
                at_before = i > 0 and toks[i - 1].lower in ("at", "by", "around", "until", "till", "from")
                if marker is not None or (minutes and at_before):
                    last = marker if marker is not None else j - 1
                    out.append(make_result("TIME", t.start, toks[last].end, 0.75,
                                           " ".join(x.lower for x in toks[i : last + 1]), self.name))
                    i = last + 1
                    continue
            i += 1
        return out
