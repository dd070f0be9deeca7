"""PCI fallback for numbers no cue explains: long or read-out numbers are redacted unless clearly quantities.

ASR loses cue words far more often than digits ("bank account" -> "man can count", "cell" -> "L",
"CVV" -> "see me"), and one leaked digit fails a compliance deployment, so with `redact_pci` on a
number that is long, or read out digit by digit, becomes an account number unless it is clearly
something else: an amount or measure (unit word after, currency before, a quantity word before a
thousands-grouped figure), a date, or a number a negative cue names (handled by the caller).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from models.redaction.config import RedactionConfig
from models.redaction.cues import cue_ending_at
from models.redaction.lexicon import HOMOPHONES, SOUND_ALIKE_DIGITS, UNIT_WORDS
from models.redaction.numbers import NumberRun, Tok

_DATE_SHAPE = re.compile(r"^(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
# Words before a thousands-grouped figure that make it an amount ("about 1,250,000", "a total of …").
QUANTITY_BEFORE = frozenset({
    "about", "around", "over", "under", "than", "nearly", "almost", "approximately", "roughly", "some",
    "total", "of", "population", "costs", "cost", "paid", "earned", "raised", "spent", "worth", "sold",
    "made", "saved", "owe", "owes", "million", "billion",
})
_NOT_NOUNS = frozenset({"thanks", "this", "always", "perhaps", "plus", "minus", "yes", "is", "was", "its", "it's"})
# Sound-alikes rare enough in prose to mark misheard digits ("to", "for", "time" are not).
_DIGIT_LIKE = (frozenset(HOMOPHONES) | frozenset(SOUND_ALIKE_DIGITS)) - {"to", "too", "for", "won", "i'm", "time", "find",
                                                                        "free"}
_LINK_WORDS = frozenset({"is", "was", "it's", "its", "number", "code", ":"})
_PHONE7 = re.compile(r"^\d{3}[\s.-]\d{4}$")


_GLUED_LETTERS = re.compile(r"(?:\b[A-Za-z]{1,2}-)+$")
_THOUSANDS_COMMA = re.compile(r",\S")


def dictated(run: NumberRun, min_chunks: int) -> bool:
    """Read out one digit at a time ("1, 2, 3, 2, 1, 0", "seven three five", "2-3-2-3"): an identifier,
    never an amount (nobody says a quantity digit by digit)."""
    singles = sum(1 for c in run.chunks if len(c.digits) == 1)
    return singles >= min_chunks and 2 * singles >= len(run.chunks)


def counting(digits: str) -> bool:
    """"one, two, three, four": counting up from 0 or 1, not a number being read out."""
    return digits[0] in "01" and all(int(b) == int(a) + 1 for a, b in zip(digits, digits[1:], strict=False))


def dashed(text: str, run: NumberRun) -> bool:
    """Digit groups joined by dashes or dots with no space ("6-04", "61-100", "212.5.5.018"): how Whisper
    writes a code read out in pieces."""
    if any(c.spoken for c in run.chunks):
        return False
    # Letters glued on by dashes before the digits ("I-I-8776"): a code read out, mangled by ASR.
    if len(run.digits) >= 3 and _GLUED_LETTERS.search(text[: run.start]):
        return True
    if len(run.chunks) < 2:
        return False
    raw = text[run.start : run.end]
    if not re.fullmatch(r"\d+(?:[-.][A-Za-z]{0,2}\d+)+", raw.strip("()+")):
        return False
    return True


def grouped(text: str, run: NumberRun) -> bool:
    """Written digit groups separated by spaces or pauses ("776 554", "776, 554"): Whisper writes an
    amount as one figure."""
    raw = text[run.start : run.end]
    # A comma followed by a space separates read-out groups ("776, 554"); "1,250,000" is an amount.
    joined_by_pauses = all(j == "," for j in run.joiners) and not _THOUSANDS_COMMA.search(raw)
    return len(run.chunks) >= 2 and not run.spoken and joined_by_pauses and ":" not in raw


def uncued_number(text: str, toks: Sequence[Tok], run: NumberRun, config: RedactionConfig) -> str | None:
    """Entity type for a number that no cue classified, or None to leave it.

    The caller has already left out numbers with a unit word after them, a currency before them or a
    negative cue ("order", "invoice", "tracking" …) near them.
    """
    n = len(run.digits)
    long_enough = n >= config.uncued_account_digits
    # Digits actually heard as digits: "3 to 2" (a homophone between two digits) is a score.
    singles = all(len(c.digits) == 1 and toks[c.first].lower not in HOMOPHONES for c in run.chunks)
    read_out = (n >= config.dictated_account_digits and dictated(run, config.dictated_min_chunks)) or (
        singles and n >= config.dictated_min_digits
    )
    read_out = read_out and not counting(run.digits)
    pieces = (n >= config.dashed_min_digits and dashed(text, run)) or (
        n >= config.grouped_min_digits and grouped(text, run)
    )
    if not (long_enough or read_out or pieces):
        return None
    raw = text[run.start : run.end]
    if _DATE_SHAPE.match(raw) or all(len(c.digits) == 4 and c.digits[:2] in ("19", "20") for c in run.chunks):
        return None  # a date, a year or a range of years ("1990-2000")
    prev = toks[run.first - 1].lower if run.first > 0 else ""
    nxt = toks[run.last + 1] if run.last + 1 < len(toks) else None
    counted_noun = nxt is not None and nxt.is_word and len(nxt.text) > 3 and nxt.lower.endswith("s")
    if _THOUSANDS.match(raw) and (prev in QUANTITY_BEFORE or (counted_noun and nxt.lower not in _NOT_NOUNS)):
        return None  # "about 1,250,000", "1,250,000 votes": ASR groups thousands for amounts
    if n == 7 and _PHONE7.match(raw):
        return "PHONENUMBER"  # "555-0134": a local phone number, redacted under PII as well
    return "ACCOUNTNUMBER"


def fragment_before(toks: Sequence[Tok], fragment: NumberRun, number: NumberRun, max_words: int) -> bool:
    """Is `fragment` a piece ASR split off the front of `number` ("426, pre-I-826, 4026")?

    True when at most `max_words` words and no sentence end or cue separate them and no unit word
    follows the fragment.
    """
    if len(fragment.digits) < 2:
        return False
    gap = range(fragment.last + 1, number.first)
    if fragment.last + 1 < len(toks) and toks[fragment.last + 1].lower in UNIT_WORDS:
        return False
    if sum(1 for k in gap if toks[k].is_word) > max_words:
        return False
    return not any(toks[k].text in (".", "?", "!") or cue_ending_at(toks, k) is not None for k in gap)


def worded_value_after_cue(toks: Sequence[Tok], cue_last: int, max_words: int) -> tuple[int, int] | None:
    """Token range of a value ASR wrote as words after a CVV cue ("see me me | sick so far" for "c v v six
    oh four"), when no number follows the cue in its clause.

    Up to `max_words` words after the cue (and an "is"/"was"), stopping at punctuation; taken only
    when one of them sounds like a digit, so "where is the CVV on my card" is left alone.
    """
    q = cue_last + 1
    while q < len(toks) and toks[q].lower in _LINK_WORDS:
        q += 1
    first, last = q, q - 1
    while last + 1 < len(toks) and last + 1 - first < max_words:
        t = toks[last + 1]
        if not t.is_word or t.lower in ("and", "but", "or"):
            break
        last += 1
    if not any(t.lower in _DIGIT_LIKE for t in toks[first : last + 1]):
        return None
    return first, last
