"""Shared state for the ITN rules: the token stream, its punctuation barriers and the rule settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.text.numbers import Cardinal, parse_cardinal, parse_decimal, split_scale
from models.text.words import Piece, WordPart, WordShape, barrier_end

ALL_CLASSES = frozenset(
    {"cardinal", "ordinal", "decimal", "money", "percent", "measure", "telephone", "date", "time", "year"}
)
NUMBER_ONLY_CLASSES = frozenset({"cardinal", "decimal", "telephone", "year"})


@dataclass(frozen=True)
class ItnConfig:
    """Named knobs of the ITN pass; a YAML `text.itn` section can fill them.

    `min_standalone`: a number said as one word ("two", "five") stays a word below this value
    unless something around it makes it numeric (a currency, "percent", a unit, a clock time, a
    date). Ten and above always become digits. This keeps "one of them", "two kids" as spoken.
    `min_standalone_ordinal`: the same for "first" ... "ninth" ("the first time" stays).
    `min_digit_run`: digit-by-digit speech ("five five five one") needs this many digits to be
    read as a number (phone, PIN, account); shorter runs stay words.
    `group_from`: thousands separators from this value up ("2000" but "12,300").
    `classes`: which rule families run; the `numerals` pass uses only plain-number classes.
    `max_span_tokens`: the longest stretch of tokens a rule looks at (a 15-digit phone number with
    "double"s fits); it bounds the work per word on long transcripts.
    """

    min_standalone: int = 10
    min_standalone_ordinal: int = 10
    min_digit_run: int = 4
    group_from: int = 10_000
    classes: frozenset[str] = field(default=ALL_CLASSES)
    max_span_tokens: int = 32


@dataclass(frozen=True)
class Amount:
    """A spoken quantity at some token position: its written text, token count, and a split-off scale word.

    When `scale` is set ("5 million"), the last of the `length` tokens is the scale word.
    """

    text: str
    length: int
    scale: str | None = None
    single_word: bool = False
    value: float = 0.0


class Context:
    """Tokens plus helpers the rules share (windows that stop at punctuation, previous word)."""

    def __init__(self, tokens: list[WordPart], shapes: list[WordShape], config: ItnConfig) -> None:
        self.tokens = tokens
        self.shapes = shapes
        self.config = config
        self.texts = [token.text for token in tokens]

    def window(self, start: int, allow: str = "") -> list[str]:
        """Lower-cased tokens from `start` up to the first punctuation barrier."""
        return self.texts[start:barrier_end(self.tokens, self.shapes, start, allow, self.config.max_span_tokens)]

    def previous(self, start: int) -> str:
        """The token before `start`, or "" at the beginning."""
        return self.texts[start - 1] if start > 0 else ""

    def joined(self, index: int) -> bool:
        """True when tokens `index - 1` and `index` may belong to one rewrite (no punctuation between)."""
        return index > 0 and barrier_end(self.tokens, self.shapes, index - 1, limit=2) > index

    def comma_after(self, index: int) -> bool:
        """True when token `index` ends its word and a lone comma follows it ("six," in "six, six")."""
        token = self.tokens[index]
        return token.last_part and self.shapes[token.word_index].trail == ","

    def original(self, index: int) -> str:
        return self.tokens[index].original

    def amount(self, start: int, allow_digits: bool = True) -> Amount | None:
        """A decimal or cardinal at `start`, with a round large value split as "<n> <scale>"."""
        window = self.window(start)
        decimal = parse_decimal(window)
        if decimal is not None:
            text, used = decimal
            if used < len(window) and window[used] in ("million", "billion", "trillion"):
                return Amount(text, used + 1, window[used], value=float(text))
            return Amount(text, used, value=float(text))
        cardinal = parse_cardinal(window, allow_digits=allow_digits)
        if cardinal is None or cardinal.ordinal:
            return None
        return self.cardinal_amount(cardinal)

    def cardinal_amount(self, cardinal: Cardinal) -> Amount:
        if cardinal.from_digits is not None:
            return Amount(cardinal.from_digits, 1, value=float(cardinal.value))
        split = split_scale(cardinal.value)
        if split is not None:
            return Amount(str(split[0]), cardinal.length, split[1], value=float(cardinal.value))
        text = f"{cardinal.value:,}" if cardinal.value >= self.config.group_from else str(cardinal.value)
        return Amount(text, cardinal.length, single_word=cardinal.single_word, value=float(cardinal.value))

    def amount_pieces(self, start: int, amount: Amount, prefix: str = "", suffix: str = "",
                      extra: int = 0) -> list[Piece]:
        """Pieces for an amount; `extra` following tokens (a unit word) join the last piece."""
        end = start + amount.length + extra
        if amount.scale is None:
            return [Piece(start, end, prefix + amount.text + suffix)]
        scale_at = start + amount.length - 1
        return [Piece(start, scale_at, prefix + amount.text), Piece(scale_at, end, amount.scale + suffix)]
