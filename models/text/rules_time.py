"""ITN rules for when: clock times, dates and spoken years ("nineteen eighty four" -> "1984").

Hours 10-12 said with minutes ("eleven thirty") are both a clock time and a year; the word before
decides (see TIME_CONTEXT / YEAR_CONTEXT), and without a hint the words stay as spoken.
"""

from __future__ import annotations

from models.text.context import Context
from models.text.numbers import TEENS, UNITS, ordinal_suffix, parse_cardinal, parse_two_digit
from models.text.tokens import Piece

MONTHS: dict[str, str] = {
    name.lower(): name
    for name in (
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    )
}
# "may" is usually the verb: only a capitalised "May" counts as the month.
CASE_SENSITIVE_MONTHS = frozenset({"may"})
AM_PM: dict[str, str] = {"am": "AM", "a.m": "AM", "pm": "PM", "p.m": "PM"}
OCLOCK = frozenset({"o'clock", "oclock", "o\u2019clock"})
TIME_CONTEXT = frozenset({"at", "around", "till", "until", "by", "before", "after", "from", "about"})
YEAR_CONTEXT = frozenset({"in", "since", "of", "year", "circa", "during", *MONTHS})
# Years said as two pairs: first pair 10..20 (1000-2099). 13..19 cannot be a 12-hour clock
# time, and "twenty <ten or more>" is the usual way to say 2010-2099, so those need no hint.
YEAR_FIRST_PAIR = (10, 20)
UNHINTED_YEAR_FIRST_PAIR = (13, 19)
MAX_DAY = 31
WRITTEN_YEAR_RANGE = (1000, 2999)


def _hour(token: str) -> int | None:
    value = UNITS.get(token) or TEENS.get(token)
    return value if value is not None and 1 <= value <= 12 else None


def match_time(ctx: Context, start: int) -> list[Piece] | None:
    """ "three thirty pm" -> "3:30 PM", "ten o'clock" -> "10:00", "at eleven fifteen" -> "at 11:15"."""
    if "time" not in ctx.config.classes:
        return None
    window = ctx.window(start)
    hour = _hour(window[0]) if window else None
    if hour is None:
        return None
    rest = window[1:]
    if rest and rest[0] in OCLOCK:
        return [Piece(start, start + 2, f"{hour}:00"), *_am_pm(window, 2, start)]
    if rest[:2] == ["o", "clock"]:
        return [Piece(start, start + 3, f"{hour}:00"), *_am_pm(window, 3, start)]
    if rest and rest[0] in AM_PM:
        return [Piece(start, start + 1, str(hour)), Piece(start + 1, start + 2, AM_PM[rest[0]])]
    minutes = parse_two_digit(rest, allow_oh=True)
    if minutes is None or minutes[0] > 59:
        return None
    used = 1 + minutes[1]
    clock = Piece(start, start + used, f"{hour}:{minutes[0]:02d}")
    suffix = _am_pm(window, used, start)
    if suffix:
        return [clock, *suffix]
    if ctx.previous(start) in TIME_CONTEXT:
        return [clock]
    return None


def _am_pm(window: list[str], at: int, start: int) -> list[Piece]:
    if at < len(window) and window[at] in AM_PM:
        return [Piece(start + at, start + at + 1, AM_PM[window[at]])]
    return []


def parse_year(window: list[str], previous: str) -> tuple[int, int] | None:
    """A year said as two pairs ("fourteen fifty five", "twenty twenty four", "nineteen oh five")."""
    first = parse_two_digit(window)
    if first is None or not YEAR_FIRST_PAIR[0] <= first[0] <= YEAR_FIRST_PAIR[1]:
        return None
    second = parse_two_digit(window[first[1]:], allow_oh=True)
    if second is None:
        return None
    used = first[1] + second[1]
    if used < len(window) and (window[used] in AM_PM or window[used] in OCLOCK):
        return None
    value = first[0] * 100 + second[0]
    if previous in YEAR_CONTEXT:
        return value, used
    if previous in TIME_CONTEXT and first[0] <= 12:
        return None
    unhinted = UNHINTED_YEAR_FIRST_PAIR[0] <= first[0] <= UNHINTED_YEAR_FIRST_PAIR[1] or (
        first[0] == YEAR_FIRST_PAIR[1] and second[0] >= 10
    )
    return (value, used) if unhinted else None


def _written_year(window: list[str], previous: str) -> tuple[int, int] | None:
    """A year after a month: two pairs, or a plain cardinal such as "two thousand five"."""
    year = parse_year(window, previous)
    cardinal = parse_cardinal(window)
    low, high = WRITTEN_YEAR_RANGE
    is_year = cardinal is not None and not cardinal.ordinal and low <= cardinal.value <= high
    if cardinal is not None and is_year and (year is None or cardinal.length > year[1]):
        return cardinal.value, cardinal.length
    return year


def match_year(ctx: Context, start: int) -> list[Piece] | None:
    if "year" not in ctx.config.classes:
        return None
    year = parse_year(ctx.window(start), ctx.previous(start))
    return [Piece(start, start + year[1], str(year[0]))] if year else None


def _month_at(ctx: Context, index: int) -> str | None:
    """The canonical month name when the token at `index` is a whole-word month."""
    if index >= len(ctx.tokens):
        return None
    token = ctx.tokens[index]
    name = MONTHS.get(token.text)
    if name is None or not (token.first_part and token.last_part):
        return None
    if token.text in CASE_SENSITIVE_MONTHS and not token.original[:1].isupper():
        return None
    return token.original if token.original.isupper() else name


def match_date(ctx: Context, start: int) -> list[Piece] | None:
    """ "march third twenty twenty four" -> "March 3, 2024"; "June twenty twenty" -> "June 2020"."""
    if "date" not in ctx.config.classes:
        return None
    month = _month_at(ctx, start)
    if month is None or ctx.shapes[ctx.tokens[start].word_index].trail:
        return None
    best: list[Piece] | None = None
    day = parse_cardinal(ctx.window(start + 1))
    if day is not None and 1 <= day.value <= MAX_DAY:
        day_end = start + 1 + day.length
        trail = ctx.shapes[ctx.tokens[day_end - 1].word_index].trail
        year = _written_year(ctx.window(day_end), ctx.texts[start]) if trail in ("", ",") else None
        if year is not None:
            best = [
                Piece(start, start + 1, month),
                Piece(start + 1, day_end, f"{day.value},"),
                Piece(day_end, day_end + year[1], str(year[0])),
            ]
        else:
            best = [Piece(start, start + 1, month), Piece(start + 1, day_end, str(day.value))]
    year_only = _written_year(ctx.window(start + 1), ctx.texts[start])
    if year_only is not None and (best is None or start + 1 + year_only[1] > best[-1].end):
        best = [Piece(start, start + 1, month), Piece(start + 1, start + 1 + year_only[1], str(year_only[0]))]
    return best


def match_ordinal_of_month(ctx: Context, start: int) -> list[Piece] | None:
    """ "the third of March" -> "the 3rd of March" (the day becomes digits even though it is small)."""
    if "date" not in ctx.config.classes:
        return None
    day = parse_cardinal(ctx.window(start))
    if day is None or not day.ordinal or not 1 <= day.value <= MAX_DAY:
        return None
    after = start + day.length
    if after + 1 >= len(ctx.texts) or ctx.texts[after] != "of" or _month_at(ctx, after + 1) is None:
        return None
    return [Piece(start, after, f"{day.value}{ordinal_suffix(day.value)}")]
