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
    CUES,
    DIGIT_WORDS,
    FILLERS,
    HOMOPHONES,
    HUNDRED,
    REPEAT_WORDS,
    RUN_JOINERS,
    TEEN_WORDS,
    TENS_WORDS,
    THOUSAND,
    WEAK_ZERO,
)

# Words (with inner apostrophes), digit strings, or any single other character. Devanagari
# vowel signs are not `\w` in Python, so the Devanagari block is added to the word class.
_TOKEN = re.compile(r"\d+|(?:[^\W\d_]|[\u0900-\u0963\u0970-\u097F])+(?:['’](?:[^\W\d_])+)*|\S")


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
        return True
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
    if w in REPEAT_WORDS and i + 1 < n:
        nxt = toks[i + 1]
        if nxt.lower in DIGIT_WORDS:
            return Chunk(str(DIGIT_WORDS[nxt.lower]) * REPEAT_WORDS[w], i, i + 1, spoken=True)
        if nxt.is_digits and len(nxt.text) == 1:
            return Chunk(ascii_digits(nxt.text) * REPEAT_WORDS[w], i, i + 1, spoken=True)
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
            while m < n and len(seps) < 3 and not toks[m].is_digits and _joinable(toks, chunks[-1].last, m):
                if toks[m].lower in DIGIT_WORDS or toks[m].lower in TENS_WORDS or toks[m].lower in TEEN_WORDS:
                    break
                seps.append(toks[m].text)
                m += 1
            if m >= n:
                break
            nxt = _chunk_at(toks, m)
            if nxt is None and toks[m].lower in HOMOPHONES and m + 1 < n and _chunk_at(toks, m + 1) is not None:
                # ASR writes "for"/"to" for "four"/"two" inside digit strings ("5 5 5 for 1 2").
                nxt = Chunk(HOMOPHONES[toks[m].lower], m, m, spoken=True)
            if nxt is None:
                break
            chunks.append(nxt)
            joiners.extend(seps)
            k = nxt.last + 1
        # A leading interjection ("Oh, four one …") is not a zero.
        while len(chunks) > 1 and chunks[0].weak and toks[chunks[0].last + 1].text == ",":
            chunks.pop(0)
        if all(c.weak for c in chunks):
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


# --- context cues ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cue:
    kind: str
    first: int  # token index where the cue phrase starts
    last: int
    distance: int  # word tokens between the cue and the number


_INDEX_WORDS = frozenset({"cvs"})
_CUE_INDEX: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for _kind, _phrases in CUES.items():
    for _phrase in _phrases:
        _CUE_INDEX.setdefault(_phrase[-1], []).append((_kind, _phrase))


# ASR spellings of "CVV"/"CVC" ("CVB", "CBV", "CVM", "cvd"): three letters, c + v/b + one more.
_CVV_LIKE = re.compile(r"^c[vb][a-z2]$")


def cue_ending_at(toks: Sequence[Tok], p: int) -> tuple[str, int] | None:
    """The longest cue phrase whose last token is `p`: (kind, first token index)."""
    best: tuple[str, int] | None = None
    best_len = 0
    w = toks[p].lower
    if _CVV_LIKE.match(w) and w not in _INDEX_WORDS:
        best, best_len = ("CVV", p), 1
    elif len(w) > 5 and (w.startswith("card") or w.endswith("card")) and w.isalpha():
        best, best_len = ("CARD", p), 1  # ASR glues words: "creditcard", "Cardend", "cardnumber"
    for kind, phrase in _CUE_INDEX.get(toks[p].lower, ()):
        a = p - len(phrase) + 1
        if a < 0 or len(phrase) <= best_len:
            continue
        if all(toks[a + q].lower == phrase[q] for q in range(len(phrase))):
            best, best_len = (kind, a), len(phrase)
    return best


def cues_before(toks: Sequence[Tok], index: int, window: int, stop: int = -1) -> list[Cue]:
    """Cue phrases in the `window` word tokens before token `index`, nearest first.

    Scanning stops at token `stop` (the end of the previous number) and at sentence ends ("?", "!"),
    so a number never takes the cue of an earlier number.
    """
    found: list[Cue] = []
    words = 0
    p = index - 1
    while p > stop and words < window:
        t = toks[p]
        if t.text in ("?", "!"):
            break
        hit = cue_ending_at(toks, p)
        if hit is not None:
            kind, a = hit
            if kind == "NUMBER" and a > 0 and a - 1 > stop:
                # "card number", "order no": the word before "number" says what the number is.
                before = cue_ending_at(toks, a - 1)
                if before is not None and before[0] != "NUMBER":
                    kind, a = before
            found.append(Cue(kind, a, p, words))
            words += p - a + 1
            p = a - 1
            continue
        if t.is_word or t.is_digits:
            words += 1
        p -= 1
    return found


_LINKS = frozenset({"is", "was", "as", "for", "that's", "thats", "being", "my", "its", "it's", "which", ","})


def cues_after(toks: Sequence[Tok], index: int, window: int) -> list[Cue]:
    """Cues in "… is my card number" / "…, my social security number" right after a number."""
    if index >= len(toks) or toks[index].lower not in _LINKS:
        return []
    if toks[index].text == "," and (index + 1 >= len(toks) or toks[index + 1].lower not in _LINKS - {","}):
        return []
    found: list[Cue] = []
    for p in range(index, min(len(toks), index + window + 1)):
        if toks[p].is_digits or toks[p].text in (".", "?", "!") or toks[p].lower == "and":
            break
        hit = cue_ending_at(toks, p)
        if hit is not None:
            found.append(Cue(hit[0], hit[1], p, p - index))
    found.sort(key=lambda c: -len(range(c.first, c.last + 1)))
    return found
