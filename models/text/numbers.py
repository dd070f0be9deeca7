"""English number words: vocabulary, parsers over lower-cased tokens, and written-form formatting.

This is the one table of English number words: ITN parses with it here, and redaction's spoken-number
reader (models/redaction/lexicon.py) extends it with ASR spellings and Hindi digit words.

The parsers read a list of plain strings and return how many they consumed; the ITN layer
decides where a parse may stop (punctuation barriers) by passing a shortened list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
TEENS: dict[str, int] = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
THOUSAND = "thousand"
SCALES: dict[str, int] = {THOUSAND: 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
HUNDRED = "hundred"

ORDINAL_UNITS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
}
ORDINAL_TEENS: dict[str, int] = {
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
}
ORDINAL_TENS: dict[str, int] = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90,
}
ORDINAL_SCALES: dict[str, int] = {"thousandth": 10**3, "millionth": 10**6, "billionth": 10**9}
ORDINAL_HUNDRED = "hundredth"

# Words that may stand for one digit inside a digit-by-digit run ("oh" only there, never alone).
DIGIT_WORDS: dict[str, int] = {**UNITS, "oh": 0, "o": 0}
REPEATERS: dict[str, int] = {"double": 2, "triple": 3}

NUMBER_WORDS = frozenset(
    [*UNITS, *TEENS, *TENS, *SCALES, HUNDRED, *ORDINAL_UNITS, *ORDINAL_TEENS, *ORDINAL_TENS, *ORDINAL_SCALES,
     ORDINAL_HUNDRED]
)
_DIGITS_RE = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


@dataclass(frozen=True)
class Cardinal:
    """A parsed spoken number: its value, how many tokens it used, and what kind of words made it."""

    value: int
    length: int
    ordinal: bool = False
    single_word: bool = False
    from_digits: str | None = None  # the token when the ASR already wrote digits ("3", "1,000")


def is_digit_token(token: str) -> bool:
    return bool(_DIGITS_RE.match(token))


def parse_cardinal(tokens: list[str], allow_digits: bool = False) -> Cardinal | None:
    """Longest spoken cardinal or ordinal at the start of `tokens` ("two hundred and five", "twenty first").

    Word order is checked the way people say numbers: "twenty three" is one number, "three twenty"
    and "one two" are not (years and digit runs have their own parsers).
    """
    if allow_digits and tokens and is_digit_token(tokens[0]) and "." not in tokens[0]:
        return Cardinal(int(tokens[0].replace(",", "")), 1, from_digits=tokens[0])
    total, current, last, last_scale = 0, 0, "", 10**15
    used = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "and" and last in ("hundred", "scale") and index + 1 < len(tokens):
            following = tokens[index + 1]
            if following in UNITS or following in TEENS or following in TENS or following in ORDINAL_UNITS \
                    or following in ORDINAL_TEENS or following in ORDINAL_TENS:
                index += 1
                last = "and"
                continue
            break
        kind, value, ordinal = _classify(token)
        if kind == "unit":
            if value == 0:
                if last:
                    break
                return Cardinal(0, 1, ordinal, single_word=True)
            if last in ("tens", "", "hundred", "scale", "and"):
                current += value
            else:
                break
        elif kind in ("teen", "tens"):
            if last not in ("", "hundred", "scale", "and"):
                break
            current += value
        elif kind == "hundred":
            if last not in ("unit", "teen", "tens") or current % 100 == 0 or current >= 100:
                break
            current *= 100
        elif kind == "scale":
            if last not in ("unit", "teen", "tens", "hundred") or value >= last_scale or current == 0:
                break
            total += current * value
            current, last_scale = 0, value
        else:
            break
        last = kind
        index += 1
        used = index
        if ordinal:
            break
    if used == 0:
        return None
    ordinal = _classify(tokens[used - 1])[2]
    return Cardinal(total + current, used, ordinal, single_word=used == 1)


def _classify(token: str) -> tuple[str, int, bool]:
    """(kind, value, is_ordinal) of one number word, kind "" when it is not one."""
    for table, kind, ordinal in (
        (UNITS, "unit", False), (TEENS, "teen", False), (TENS, "tens", False), (SCALES, "scale", False),
        (ORDINAL_UNITS, "unit", True), (ORDINAL_TEENS, "teen", True), (ORDINAL_TENS, "tens", True),
        (ORDINAL_SCALES, "scale", True),
    ):
        if token in table:
            return kind, table[token], ordinal
    if token == HUNDRED:
        return "hundred", 100, False
    if token == ORDINAL_HUNDRED:
        return "hundred", 100, True
    return "", 0, False


def parse_two_digit(tokens: list[str], allow_oh: bool = False) -> tuple[int, int] | None:
    """A two-digit group as said in years and clock times: "fifty five", "thirteen", "oh five" -> (value, length)."""
    if not tokens:
        return None
    first = tokens[0]
    if allow_oh and first in ("oh", "o", "zero") and len(tokens) > 1 and tokens[1] in UNITS and tokens[1] != "zero":
        return UNITS[tokens[1]], 2
    if first in TEENS:
        return TEENS[first], 1
    if first in TENS:
        if len(tokens) > 1 and tokens[1] in UNITS and tokens[1] != "zero":
            return TENS[first] + UNITS[tokens[1]], 2
        return TENS[first], 1
    return None


def digit_value(token: str) -> int | None:
    """The digit one token of a digit-by-digit run stands for: a digit word ("six", "oh") or a lone numeral.

    Whisper writes a run read digit by digit either way ("six six seven", "6, 6, 7", "6-6-7").
    """
    if token in DIGIT_WORDS:
        return DIGIT_WORDS[token]
    if len(token) == 1 and "0" <= token <= "9":
        return int(token)
    return None


def parse_digit_run(tokens: list[str]) -> tuple[str, int] | None:
    """Digit-by-digit speech ("five five five oh one", "double seven", "5 5 5") -> (digits, tokens used)."""
    digits: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        repeated = digit_value(tokens[index + 1]) if token in REPEATERS and index + 1 < len(tokens) else None
        value = digit_value(token)
        if repeated is not None:
            digits.append(str(repeated) * REPEATERS[token])
            index += 2
        elif value is not None:
            digits.append(str(value))
            index += 1
        else:
            break
    if not digits:
        return None
    return "".join(digits), index


def parse_decimal(tokens: list[str]) -> tuple[str, int] | None:
    """ "three point one four" -> ("3.14", 4); "point five" -> ("0.5", 2). The fraction is read digit by digit."""
    whole = "0"
    used = 0
    cardinal = parse_cardinal(tokens, allow_digits=True)
    if cardinal is not None and not cardinal.ordinal:
        whole, used = str(cardinal.value), cardinal.length
    if used >= len(tokens) or tokens[used] != "point":
        return None
    fraction: list[str] = []
    index = used + 1
    while index < len(tokens) and tokens[index] in DIGIT_WORDS and tokens[index] != "o":
        fraction.append(str(DIGIT_WORDS[tokens[index]]))
        index += 1
    if not fraction:
        return None
    return f"{whole}.{''.join(fraction)}", index


def ordinal_suffix(value: int) -> str:
    if value % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def format_cardinal(value: int, group_from: int = 10_000) -> str:
    """Digits, with thousands separators from `group_from` up ("2000" but "12,300")."""
    return f"{value:,}" if value >= group_from else str(value)


def split_scale(value: int) -> tuple[int, str] | None:
    """A round large number reads better as "5 million" than "5000000": (5, "million") when that applies."""
    for name, scale in sorted(SCALES.items(), key=lambda item: -item[1]):
        if scale >= 10**6 and value >= scale and value % scale == 0 and value // scale < 1000:
            return value // scale, name
    return None
