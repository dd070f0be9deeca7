"""ITN rules for plain quantities: cardinals, ordinals, decimals, money, percent, measures, digit runs.

Each rule looks at the tokens from one position and returns the written pieces it would produce,
or None. The engine keeps the longest candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.text.context import Context
from models.text.numbers import (
    NUMBER_WORDS,
    digit_value,
    format_cardinal,
    ordinal_suffix,
    parse_cardinal,
    parse_decimal,
    parse_digit_run,
)
from models.text.words import Piece


@dataclass(frozen=True)
class Currency:
    symbol: str
    subunits: tuple[str, ...]


CURRENCIES: dict[str, Currency] = {
    "dollar": Currency("$", ("cent", "cents")),
    "dollars": Currency("$", ("cent", "cents")),
    "euro": Currency("€", ("cent", "cents")),
    "euros": Currency("€", ("cent", "cents")),
    "pound": Currency("£", ("penny", "pence", "p")),
    "pounds": Currency("£", ("penny", "pence", "p")),
    "rupee": Currency("₹", ("paisa", "paise")),
    "rupees": Currency("₹", ("paisa", "paise")),
    "yen": Currency("¥", ()),
}
SUBUNITS_ALONE: dict[str, tuple[str, str]] = {
    "cent": ("$0.", ""), "cents": ("$0.", ""), "penny": ("", "p"), "pence": ("", "p"),
}
# "five pounds of flour" is a weight, not money.
NOT_MONEY_AFTER = frozenset({"of"})
PERCENT_WORDS = ("percent", "per cent")
# Physical units: a number in front of one is numeric even when small ("five kilometers" -> "5 kilometers").
# The unit word itself is left as spoken.
MEASURE_UNITS = frozenset(
    {
        "km", "kilometer", "kilometers", "kilometre", "kilometres", "meter", "meters", "metre", "metres",
        "centimeter", "centimeters", "centimetre", "centimetres", "millimeter", "millimeters", "millimetre",
        "millimetres", "mile", "miles", "foot", "feet", "inch", "inches", "yard", "yards", "kg", "kilogram",
        "kilograms", "kilo", "kilos", "gram", "grams", "milligram", "milligrams", "pound", "pounds", "lb", "lbs",
        "ounce", "ounces", "ton", "tons", "tonne", "tonnes", "liter", "liters", "litre", "litres", "milliliter",
        "milliliters", "millilitre", "millilitres", "gallon", "gallons", "degree", "degrees", "celsius",
        "fahrenheit", "mph", "kph", "kilobyte", "kilobytes", "megabyte", "megabytes", "gigabyte", "gigabytes",
        "terabyte", "terabytes", "kb", "mb", "gb", "tb", "volt", "volts", "watt", "watts", "kilowatt", "kilowatts",
        "hertz", "kilohertz", "megahertz", "gigahertz"
    }
)
# "the nineteen twenties", "hundreds of people": leave the number words alone.
PLURAL_NUMBER_WORDS = frozenset(
    {
        "tens", "teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties",
        "nineties", "hundreds", "thousands", "millions", "billions", "trillions"
    }
)


def match_money(ctx: Context, start: int) -> list[Piece] | None:
    if "money" not in ctx.config.classes:
        return None
    alone = _subunit_alone(ctx, start)
    if alone is not None:
        return alone
    amount = ctx.amount(start)
    if amount is None:
        return None
    window = ctx.window(start)
    at = amount.length
    if at >= len(window) or window[at] not in CURRENCIES:
        return None
    if start + at + 1 < len(ctx.texts) and ctx.texts[start + at + 1] in NOT_MONEY_AFTER:
        return None
    currency = CURRENCIES[window[at]]
    cents = _subunit_after(window, at + 1, currency)
    if cents is not None and amount.scale is None and "." not in amount.text:
        value, used = cents
        return [Piece(start, start + at + 1 + used, f"{currency.symbol}{amount.text}.{value:02d}")]
    return ctx.amount_pieces(start, amount, prefix=currency.symbol, extra=1)


def _subunit_after(window: list[str], at: int, currency: Currency) -> tuple[int, int] | None:
    """ "and fifty cents" after the main unit -> (50, tokens used)."""
    index = at + 1 if at < len(window) and window[at] == "and" else at
    cardinal = parse_cardinal(window[index:])
    if cardinal is None or cardinal.ordinal or not 0 < cardinal.value < 100:
        return None
    unit_at = index + cardinal.length
    if unit_at >= len(window) or window[unit_at] not in currency.subunits:
        return None
    return cardinal.value, unit_at + 1 - at


def _subunit_alone(ctx: Context, start: int) -> list[Piece] | None:
    window = ctx.window(start)
    cardinal = parse_cardinal(window, allow_digits=True)
    if cardinal is None or cardinal.ordinal or not 0 < cardinal.value < 100:
        return None
    at = cardinal.length
    if at >= len(window) or window[at] not in SUBUNITS_ALONE:
        return None
    prefix, suffix = SUBUNITS_ALONE[window[at]]
    digits = f"{cardinal.value:02d}" if prefix else str(cardinal.value)
    return [Piece(start, start + at + 1, prefix + digits + suffix)]


def match_percent(ctx: Context, start: int) -> list[Piece] | None:
    if "percent" not in ctx.config.classes:
        return None
    amount = ctx.amount(start)
    if amount is None or amount.scale is not None:
        return None
    window = ctx.window(start)
    rest = " ".join(window[amount.length:amount.length + 2])
    for word in PERCENT_WORDS:
        if rest == word or rest.startswith(word + " "):
            return [Piece(start, start + amount.length + len(word.split()), amount.text + "%")]
    return None


def match_measure(ctx: Context, start: int) -> list[Piece] | None:
    """A number before a physical unit becomes digits even when small; the unit word stays."""
    if "measure" not in ctx.config.classes:
        return None
    amount = ctx.amount(start, allow_digits=False)
    if amount is None:
        return None
    window = ctx.window(start)
    if amount.length >= len(window) or window[amount.length] not in MEASURE_UNITS:
        return None
    return ctx.amount_pieces(start, amount)


def match_decimal(ctx: Context, start: int) -> list[Piece] | None:
    if "decimal" not in ctx.config.classes:
        return None
    window = ctx.window(start)
    decimal = parse_decimal(window)
    if decimal is None:
        return None
    amount = ctx.amount(start)
    return ctx.amount_pieces(start, amount) if amount is not None else None


def match_cardinal(ctx: Context, start: int) -> list[Piece] | None:
    """Cardinals and ordinals said as words; small lone numbers stay words (see ItnConfig)."""
    if "cardinal" not in ctx.config.classes:
        return None
    window = ctx.window(start)
    cardinal = parse_cardinal(window)
    if cardinal is None:
        return None
    after = start + cardinal.length
    following = ctx.texts[after] if after < len(ctx.texts) else ""
    if following in PLURAL_NUMBER_WORDS:
        return None
    # Two number words side by side that no rule joined ("eleven thirty", "one twenty") could be a
    # time, a price or a list: leave both as spoken rather than guess.
    if (ctx.joined(after) and following in NUMBER_WORDS) or (ctx.joined(start) and ctx.previous(start) in NUMBER_WORDS):
        return None
    if cardinal.ordinal:
        if "ordinal" not in ctx.config.classes:
            return None
        if cardinal.single_word and cardinal.value < ctx.config.min_standalone_ordinal:
            return None
        text = format_cardinal(cardinal.value, ctx.config.group_from) + ordinal_suffix(cardinal.value)
        return [Piece(start, start + cardinal.length, text)]
    if cardinal.single_word and cardinal.value < ctx.config.min_standalone:
        return None
    return ctx.amount_pieces(start, ctx.cardinal_amount(cardinal))


def match_digit_run(ctx: Context, start: int) -> list[Piece] | None:
    """Digit-by-digit numbers (phone, PIN, account): "five five five one two one two" -> "555-1212"."""
    if "telephone" not in ctx.config.classes:
        return None
    window = ctx.window(start)
    plus = bool(window) and window[0] == "plus"
    run = parse_digit_run(window[1:] if plus else window)
    paused = None if plus else _paused_digit_run(ctx, start)
    if paused is not None and (run is None or paused[1] > run[1]):
        run = paused
    if run is None:
        return None
    digits, used = run
    if len(digits) < ctx.config.min_digit_run or used < 2 or (window[int(plus)] in ("oh", "o") and used < 3):
        return None
    return [Piece(start, start + used + int(plus), ("+" if plus else "") + format_phone(digits, plus))]


def _paused_digit_run(ctx: Context, start: int) -> tuple[str, int] | None:
    """Digits read one at a time with a pause after each, which Whisper writes as commas: "six, six, seven, zero".

    Only a run with a comma after every digit but the last counts, so "four two four two, five times"
    keeps its last "five" apart; a run that counts up or down by one ("one, two, three, four") is a count,
    not a number, and stays as spoken.
    """
    digits: list[int] = []
    for offset, text in enumerate(ctx.window(start, allow=",")):
        value = digit_value(text)
        if value is None:
            break
        digits.append(value)
        if not ctx.comma_after(start + offset):
            break
    if len(digits) < 2 or {b - a for a, b in zip(digits[:-1], digits[1:], strict=True)} in ({1}, {-1}):
        return None
    return "".join(str(d) for d in digits), len(digits)


def format_phone(digits: str, international: bool = False) -> str:
    """North-American grouping for 7/10/11-digit runs; anything else stays one digit string."""
    if international:
        return digits
    if len(digits) == 7:
        return f"{digits[:3]}-{digits[3:]}"
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if len(digits) == 11 and digits[0] == "1":
        return f"1-{digits[1:4]}-{digits[4:7]}-{digits[7:]}"
    return digits
