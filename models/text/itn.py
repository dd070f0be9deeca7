"""English inverse text normalisation (§8.2): spoken-form words -> written form, keeping word timings.

Rules (money, percent, times, dates, years, digit runs, decimals, measures, cardinals/ordinals)
are tried at each word; the longest rewrite wins, ties go to the earlier rule. A rewrite that
merges several spoken words into one written word spans them: start of the first, end of the
last, the maximum confidence, and the first word's speaker fields. Trailing `. , ! ? ; :` are
taken off before matching and the last word's mark is put back on the written word.

Not covered (left as spoken): electronic (e-mail/URL), addresses, verbatim spelled letters,
fractions ("three quarters"), "quarter past three", and prices said without a currency word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from models.text.context import ALL_CLASSES, NUMBER_ONLY_CLASSES, Context, ItnConfig
from models.text.numbers import DIGIT_WORDS, NUMBER_WORDS, REPEATERS, is_digit_token
from models.text.rules_numbers import (
    match_cardinal,
    match_decimal,
    match_digit_run,
    match_measure,
    match_money,
    match_percent,
)
from models.text.rules_time import MONTHS, match_date, match_ordinal_of_month, match_time, match_year
from models.text.words import Piece, WordPart, build_words, split_words
from models.transcript import Word

Rule = Callable[[Context, int], "list[Piece] | None"]

# Order breaks ties between equally long rewrites: the more specific reading first.
RULES: tuple[Rule, ...] = (
    match_money,
    match_percent,
    match_time,
    match_date,
    match_ordinal_of_month,
    match_year,
    match_digit_run,
    match_decimal,
    match_measure,
    match_cardinal,
)

# Every rule starts on one of these (or on digits); other words are skipped without running the rules.
START_WORDS = frozenset({*NUMBER_WORDS, *DIGIT_WORDS, *REPEATERS, *MONTHS, "point", "plus"})

DEFAULT_ITN = ItnConfig()
# The legacy `numerals` pass: plain numbers only, and every number except a lone "one"/"zero"
# ("one of them" stays) becomes digits.
NUMERALS_ITN = ItnConfig(min_standalone=2, classes=NUMBER_ONLY_CLASSES)

__all__ = ["ALL_CLASSES", "DEFAULT_ITN", "NUMERALS_ITN", "ItnConfig", "itn_text", "itn_words"]


def itn_words(words: list[Word], config: ItnConfig = DEFAULT_ITN) -> list[Word]:
    """Written form of timed words. Input words are not modified; unchanged words are copied."""
    tokens, shapes = split_words(words)
    context = Context(tokens, shapes, config)
    pieces: list[Piece] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.first_part or not (token.text in START_WORDS or is_digit_token(token.text)):
            index += 1
            continue
        best: list[Piece] | None = None
        for rule in RULES:
            candidate = rule(context, index)
            if not candidate or (best is not None and candidate[-1].end <= best[-1].end):
                continue
            if _well_formed(candidate, tokens, index):
                best = candidate
        if best is None:
            index += 1
            continue
        pieces.extend(best)
        index = best[-1].end
    return [replace(word) for word in build_words(words, tokens, shapes, pieces)]


def _well_formed(pieces: list[Piece], tokens: list[WordPart], start: int) -> bool:
    """Pieces must tile the match from `start` and split it only between whole words."""
    at = start
    for number, piece in enumerate(pieces):
        if piece.start != at or piece.end <= piece.start or not tokens[piece.start].first_part:
            return False
        if number < len(pieces) - 1 and not tokens[piece.end - 1].last_part:
            return False
        at = piece.end
    return True


def itn_text(text: str, config: ItnConfig = DEFAULT_ITN) -> str:
    """The same rewrite for a bare transcript (no word timings): whitespace-separated words."""
    words = [Word(word=part, start=0.0, end=0.0, confidence=1.0) for part in text.split()]
    return " ".join(word.word for word in itn_words(words, config))
