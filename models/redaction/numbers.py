"""Tokens with character offsets, and numbers read the way ASR writes them.

A transcript says a card number as "4111 1111 1111 1111", "4111-1111-…", "four one one one …",
"double four", "oh", "twenty twenty six" or "four fifty five". `number_runs` turns every such
stretch into one `NumberRun`: the digits it stands for and the character span it covers, so
recognizers can judge the digits (length, Luhn, context) and redact the whole spoken stretch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from models.redaction.lexicon import (
    DIGIT_WORDS,
    FILLERS,
    HOMOPHONES,
    HUNDRED,
    REPEAT_WORDS,
    RUN_JOINERS,
    SOUND_ALIKE_DIGITS,
    TEEN_WORDS,
    TENS_WORDS,
    THOUSAND,
    WEAK_ZERO,
)

# Words (with inner apostrophes), digit strings, or any single other character. Devanagari
# vowel signs are not `\w` in Python, so the Devanagari block is added to the word class.
_TOKEN = re.compile(r"\d+|(?:[^\W\d_]|[\u0900-\u0963\u0970-\u097F])+(?:['’](?:[^\W\d_])+)*|\S")


# Joiners with spaces ("5 5 5 - 1 2", "one, uh, two") allowed between two chunks of one number.
MAX_SPACED_JOINERS = 3
# Sound-alike digit words ("fine fine fine") that make a number on their own.
MIN_SOUND_ALIKE_RUN = 3
# Longest misheard digit word after "double"/"triple" inside a number ("double-low").
MAX_MISHEARD_LETTERS = 4
# Digits after a single glued letter from which the letter is a misheard digit, not a code prefix.
MIN_DIGITS_AFTER_LETTER = 5
# Letters taken into a dashed digit chain ("4263-I-8264-026", "08-2-9-cb-b-1-1-4").
MAX_GLUED_LETTERS = 2


@dataclass(frozen=True)
class Tok:
    """One token of the analysed text: `start`/`end` are character offsets."""

    text: str
    lower: str
    start: int
    end: int

    @property
    def is_digits(self) -> bool:
        return self.text.isdigit()

    @property
    def is_word(self) -> bool:
        return self.text[0].isalpha() or "\u0900" <= self.text[0] <= "\u097f"


@lru_cache(maxsize=256)
def tokenize(text: str) -> tuple[Tok, ...]:
    """Split `text` into tokens; cached because every recognizer of one call asks for the same text."""
    out = []
    for m in _TOKEN.finditer(text):
        piece = m.group(0).replace("’", "'")
        out.append(Tok(m.group(0), piece.lower(), m.start(), m.end()))
    return tuple(out)


def ascii_digits(text: str) -> str:
    """Digits of any script as ASCII ("४१११" -> "4111"); other characters dropped."""
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdigit() and unicodedata.decimal(c, None) is not None)


@dataclass
class Chunk:
    """A group of digits read from one written token or a few spoken words."""

    digits: str
    first: int  # token index
    last: int  # token index, inclusive
    spoken: bool
    weak: bool = False  # a lone "oh"/"o": zero only when other number words are beside it


@dataclass
class NumberRun:
    """Consecutive chunks of one number, joined by spaces, dashes, commas, slashes or fillers."""

    chunks: list[Chunk]
    first: int  # first token index (may be a "+" or "(" before the digits)
    last: int
    start: int  # character span in the text
    end: int
    plus: bool = False  # an international "+" / "plus" prefix
    joiners: list[str] = field(default_factory=list)

    @property
    def digits(self) -> str:
        return "".join(c.digits for c in self.chunks)

    @property
    def spoken(self) -> bool:
        return any(c.spoken for c in self.chunks)

    @property
    def written_groups(self) -> tuple[int, ...]:
        return tuple(len(c.digits) for c in self.chunks)


def _below_100(toks: Sequence[Tok], i: int) -> tuple[int, int] | None:
    """Value and next index of a spoken number under 100 at `i` ("forty two", "seven", "twelve")."""
    if i >= len(toks):
        return None
    w = toks[i].lower
    if w in TENS_WORDS:
        v = TENS_WORDS[w]
        j = i + 1
        if j + 1 < len(toks) and toks[j].text == "-" and toks[j + 1].lower in DIGIT_WORDS:
            j += 1
        if j < len(toks) and toks[j].lower in DIGIT_WORDS and DIGIT_WORDS[toks[j].lower] > 0:
            return v + DIGIT_WORDS[toks[j].lower], j + 1
        return v, i + 1
    if w in TEEN_WORDS:
        return TEEN_WORDS[w], i + 1
    if w in DIGIT_WORDS and w not in WEAK_ZERO and DIGIT_WORDS[w] > 0:
        return DIGIT_WORDS[w], i + 1
    return None


def _skip_and(toks: Sequence[Tok], i: int) -> int:
    if i + 1 < len(toks) and toks[i].lower == "and" and _below_100(toks, i + 1) is not None:
        return i + 1
    return i


def _glued(toks: Sequence[Tok], i: int) -> bool:
    """Is digit token `i` part of an alphanumeric code ("ABCPS1234K", "1Z999AA…")?

    Letters right before the digits, or two or more letters right after them (other than an
    ordinal or am/pm), make a code, not a number; "221B" and "3b" stay numbers.
    """
    t = toks[i]
    if i > 0 and toks[i - 1].end == t.start and toks[i - 1].is_word:
        # …unless the letter is a misheard digit inside a dashed chain ("426-3-I826", "-I2-I2").
        prev = toks[i - 1]
        in_chain = i > 1 and len(prev.text) <= MAX_GLUED_LETTERS and toks[i - 2].text in ("-", ".")
        # …or a single letter glued onto a long number ("i8776554": "nine" heard as "i"); "F150" is a code.
        lone = len(prev.text) == 1 and len(t.text) >= MIN_DIGITS_AFTER_LETTER and (i < 2 or toks[i - 2].end < prev.start)
        return not ((in_chain and toks[i - 2].end == prev.start) or lone)
    if i + 1 < len(toks) and toks[i + 1].start == t.end and toks[i + 1].is_word:
        nxt = toks[i + 1].lower
        return len(nxt) > 1 and nxt not in ("st", "nd", "rd", "th", "am", "pm", "s")
    return False


def _chunk_at(toks: Sequence[Tok], i: int) -> Chunk | None:
    """Read one chunk starting at token `i`, or None when token `i` is not part of a number."""
    t = toks[i]
    if t.is_digits:
        if _glued(toks, i):
            return None
        return Chunk(ascii_digits(t.text), i, i, spoken=False)
    w = t.lower
    n = len(toks)
    if w in SOUND_ALIKE_DIGITS:
        return Chunk(SOUND_ALIKE_DIGITS[w], i, i, spoken=True, weak=True)
    if w in HOMOPHONES and homophone_streak(toks, i) >= MIN_SOUND_ALIKE_RUN:
        return Chunk(HOMOPHONES[w], i, i, spoken=True, weak=True)  # "time time time 44444"
    if w in REPEAT_WORDS and i + 1 < n:
        j = i + 2 if toks[i + 1].text == "-" and i + 2 < n else i + 1  # ASR writes "double-eight"
        nxt = toks[j]
        if nxt.lower in DIGIT_WORDS:
            return Chunk(str(DIGIT_WORDS[nxt.lower]) * REPEAT_WORDS[w], i, j, spoken=True)
        if nxt.is_digits and len(nxt.text) == 1:
            return Chunk(ascii_digits(nxt.text) * REPEAT_WORDS[w], i, j, spoken=True)
        return None
    base: tuple[int, int] | None = None
    if w in DIGIT_WORDS:
        v = DIGIT_WORDS[w]
        if v > 0 and i + 1 < n and toks[i + 1].lower in HUNDRED:
            value, j = v * 100, _skip_and(toks, i + 2)
            rest = _below_100(toks, j)
            if rest is not None and rest[1] == j + 1 and toks[j].lower in DIGIT_WORDS and j == i + 2:
                # "eight hundred five five five": a digit sequence follows "800", not "805".
                if rest[1] < n and toks[rest[1]].lower in DIGIT_WORDS:
                    rest = None
            if rest is not None:
                value, j = value + rest[0], rest[1]
            elif j != i + 2:
                j = i + 2
            base = (value, j)
        elif not (i + 1 < n and toks[i + 1].lower in THOUSAND):
            return Chunk(str(v), i, i, spoken=True, weak=w in WEAK_ZERO)
        else:
            base = (v, i + 1)
    elif w in TEEN_WORDS or w in TENS_WORDS:
        below = _below_100(toks, i)
        assert below is not None
        value, j = below
        if w in TEEN_WORDS and j < n and toks[j].lower in HUNDRED:  # "nineteen hundred eighty five"
            value, j = value * 100, _skip_and(toks, j + 1)
            rest = _below_100(toks, j)
            if rest is not None:
                value, j = value + rest[0], rest[1]
        base = (value, j)
    if base is None:
        return None
    value, j = base
    if j < n and toks[j].lower in THOUSAND and value < 1000:
        value, j = value * 1000, _skip_and(toks, j + 1)
        hundreds = _below_1000(toks, j)
        if hundreds is not None:
            value, j = value + hundreds[0], hundreds[1]
    return Chunk(str(value), i, j - 1, spoken=True)


def _alike(tok: Tok) -> bool:
    return tok.lower in HOMOPHONES or tok.lower in SOUND_ALIKE_DIGITS


def homophone_streak(toks: Sequence[Tok], i: int) -> int:
    """Length of the row of digit sound-alikes ("time, time, time") that token `i` is part of."""
    count = 0
    for step in (-1, 1):
        q = i + step if step < 0 else i
        while 0 <= q < len(toks) and (_alike(toks[q]) or toks[q].text == ","):
            count += toks[q].text != ","
            q += step
    return count


def _below_1000(toks: Sequence[Tok], i: int) -> tuple[int, int] | None:
    if i + 1 < len(toks) and toks[i].lower in DIGIT_WORDS and toks[i + 1].lower in HUNDRED:
        value, j = DIGIT_WORDS[toks[i].lower] * 100, _skip_and(toks, i + 2)
        rest = _below_100(toks, j)
        return (value + rest[0], rest[1]) if rest else (value, i + 2)
    return _below_100(toks, i)


def _joinable(toks: Sequence[Tok], prev_last: int, k: int) -> bool:
    """May token `k` (a joiner) sit inside a number that ended at token `prev_last`?"""
    t = toks[k]
    if t.lower in FILLERS or t.lower in ("dash", "hyphen", "slash"):
        return True
    if t.text in (".", "/"):
        # "555.123.4567" and "04/26" but not a sentence end followed by another number.
        return toks[prev_last].end == t.start and k + 1 < len(toks) and t.end == toks[k + 1].start
    return t.text in RUN_JOINERS


def _misheard_repeat(toks: Sequence[Tok], m: int) -> Chunk | None:
    """Inside a number, "double"/"triple" before a misheard digit ("double-low, 9" for "double oh nine")."""
    if toks[m].lower not in REPEAT_WORDS:
        return None
    j = m + 2 if m + 2 < len(toks) and toks[m + 1].text == "-" else m + 1
    if j + 1 >= len(toks) or not toks[j].is_word or len(toks[j].text) > MAX_MISHEARD_LETTERS:
        return None
    k = j + 2 if toks[j + 1].text == "," and j + 2 < len(toks) else j + 1
    if k >= len(toks) or _chunk_at(toks, k) is None:
        return None  # a digit must follow, or this is prose ("4 4 double trouble")
    return Chunk("0" * REPEAT_WORDS[toks[m].lower], m, j, spoken=True)


def _glued_both_sides(toks: Sequence[Tok], m: int) -> bool:
    """Does token `m` touch both neighbours with no space ("-" in "6-04", "I" in "4263-I-8264")?"""
    return 0 < m < len(toks) - 1 and toks[m - 1].end == toks[m].start and toks[m].end == toks[m + 1].start


def _letter_piece(toks: Sequence[Tok], m: int) -> bool:
    """One or two letters between dashes or dots: in a dashed digit chain ("4263-I-8264") ASR writes
    a misheard digit as a letter. ("9th" and "4k" are not chains.)"""
    dashes = ("-", ".")
    return (toks[m].is_word and len(toks[m].text) <= MAX_GLUED_LETTERS
            and toks[m - 1].text in dashes and toks[m + 1].text in dashes)


@lru_cache(maxsize=256)
def number_runs(text: str) -> tuple[NumberRun, ...]:
    """Every spoken or written number in `text`, longest reading first."""
    toks = tokenize(text)
    runs: list[NumberRun] = []
    i = 0
    n = len(toks)
    while i < n:
        chunk = _chunk_at(toks, i)
        if chunk is None:
            i += 1
            continue
        chunks = [chunk]
        joiners: list[str] = []
        k = chunk.last + 1
        while k < n:
            m = k
            seps: list[str] = []
            spaced = 0  # joiners with a space beside them; glued ones ("4263-I-8264") are free
            while m < n and not toks[m].is_digits:
                if toks[m].lower in DIGIT_WORDS or toks[m].lower in TENS_WORDS or toks[m].lower in TEEN_WORDS:
                    break
                glued = _glued_both_sides(toks, m)
                if not (_joinable(toks, chunks[-1].last, m) or (glued and _letter_piece(toks, m))):
                    break
                if not glued:
                    if spaced >= MAX_SPACED_JOINERS:
                        break
                    spaced += 1
                seps.append(toks[m].text)
                m += 1
            if m >= n:
                break
            nxt = _chunk_at(toks, m)
            if nxt is None and toks[m].lower in HOMOPHONES and m + 1 < n and _chunk_at(toks, m + 1) is not None:
                # ASR writes "for"/"to" for "four"/"two" inside digit strings ("5 5 5 for 1 2").
                nxt = Chunk(HOMOPHONES[toks[m].lower], m, m, spoken=True)
            if nxt is None:
                nxt = _misheard_repeat(toks, m)
            if nxt is None:
                break
            chunks.append(nxt)
            joiners.extend(seps)
            k = nxt.last + 1
        # A leading interjection ("Oh, four one …") is not a zero.
        lead = next((q for q, c in enumerate(chunks) if not _alike(toks[c.first])), len(chunks))
        while lead < MIN_SOUND_ALIKE_RUN and len(chunks) > 1 and chunks[0].weak and toks[chunks[0].last + 1].text == ",":
            chunks.pop(0)
            lead -= 1
        alike = sum(1 for c in chunks if _alike(toks[c.first]))
        if all(c.weak for c in chunks) and not (alike == len(chunks) >= MIN_SOUND_ALIKE_RUN):
            i = chunks[-1].last + 1
            continue
        first = chunks[0].first
        plus = False
        if first > 0 and toks[first - 1].text == "(":
            first -= 1
        if first > 0 and toks[first - 1].lower in ("+", "plus"):
            first -= 1
            plus = True
        last = chunks[-1].last
        if last + 1 < n and toks[last + 1].text == ")" and toks[first].text == "(":
            last += 1
        runs.append(
            NumberRun(chunks, first, last, toks[first].start, toks[last].end, plus=plus, joiners=joiners)
        )
        i = chunks[-1].last + 1
    return tuple(runs)


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a card number."""
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if pos % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_window(run: NumberRun, min_len: int, max_len: int) -> tuple[int, int] | None:
    """Chunk range [a, b] whose digits form a Luhn-valid card number, preferring the longest."""
    best: tuple[int, int] | None = None
    best_len = 0
    for a in range(len(run.chunks)):
        digits = ""
        for b in range(a, len(run.chunks)):
            digits += run.chunks[b].digits
            if len(digits) > max_len:
                break
            if len(digits) >= min_len and len(digits) > best_len and luhn_ok(digits) and digits.strip("0"):
                best, best_len = (a, b), len(digits)
    return best
