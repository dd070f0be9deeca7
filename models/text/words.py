"""Splitting text into words: raw text with character offsets, and timed words into matchable parts.

`split_text` cuts a text into `TextToken`s (words, digit groups, single punctuation marks) with
their character offsets; redaction reads numbers and cues from them. `split_words` cuts timed
transcript words into `WordPart`s for ITN: a word such as `"forty-two,` becomes parts `forty`,
`two` that remember their source word, its leading `"` and trailing `,`. A rewrite names a range
of parts; the new word spans the source words of that range (§8.2 word-span rule).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from models.transcript import Word

# Words (with inner apostrophes), digit strings, or any single other character. Devanagari
# vowel signs are not `\w` in Python, so the Devanagari block is added to the word class.
_TEXT_TOKEN = re.compile(r"\d+|(?:[^\W\d_]|[\u0900-\u0963\u0970-\u097F])+(?:['’](?:[^\W\d_])+)*|\S")


@dataclass(frozen=True)
class TextToken:
    """One word, digit group or punctuation mark of a text: `start`/`end` are character offsets."""

    text: str
    lower: str  # lower case, typographic apostrophe as "'"
    start: int
    end: int

    @property
    def is_digits(self) -> bool:
        return self.text.isdigit()

    @property
    def is_word(self) -> bool:
        return self.text[0].isalpha() or "\u0900" <= self.text[0] <= "\u097f"


@lru_cache(maxsize=256)
def split_text(text: str) -> tuple[TextToken, ...]:
    """Split `text` into tokens; cached because every recognizer of one redaction call asks for the same text."""
    out = []
    for m in _TEXT_TOKEN.finditer(text):
        piece = m.group(0).replace("’", "'")
        out.append(TextToken(m.group(0), piece.lower(), m.start(), m.end()))
    return tuple(out)


def ascii_digits(text: str) -> str:
    """Digits of any script as ASCII ("४१११" -> "4111"); other characters dropped."""
    return "".join(str(unicodedata.decimal(c)) for c in text if unicodedata.decimal(c, None) is not None)


TRAILING_PUNCT = ".,!?;:"
LEADING_PUNCT = "\"'([{¿¡\u201c\u2018"
# Closing quotes/brackets sit outside the sentence punctuation in ASR output (`five."`).
CLOSING_PUNCT = "\"')]}\u201d\u2019"
# "p.m." keeps its own final dot inside a sentence; it is not sentence punctuation there.
DOTTED_ABBREVIATIONS = frozenset({"a.m", "p.m"})


@dataclass(frozen=True)
class WordPart:
    """One matchable unit of a timed word: the lower-cased word or a hyphen part of it."""

    text: str
    original: str
    word_index: int
    first_part: bool
    last_part: bool


@dataclass(frozen=True)
class WordShape:
    """A source word cut into leading punctuation, core text and trailing punctuation."""

    lead: str
    core: str
    trail: str


@dataclass(frozen=True)
class Piece:
    """One output word made from word parts [start, end) with the given written text."""

    start: int
    end: int
    text: str


def shape_of(text: str, is_last: bool) -> WordShape:
    """Split punctuation off a word; `is_last` keeps the dot of a sentence-final "p.m."."""
    core = text
    lead_len = len(core) - len(core.lstrip(LEADING_PUNCT))
    lead, core = core[:lead_len], core[lead_len:]
    stripped = core.rstrip(TRAILING_PUNCT + CLOSING_PUNCT)
    trail = core[len(stripped):]
    core = stripped
    if core.lower() in DOTTED_ABBREVIATIONS and trail == "." and not is_last:
        trail = ""
    return WordShape(lead, core, trail)


def split_words(words: list[Word]) -> tuple[list[WordPart], list[WordShape]]:
    """Parts for matching, and each word's punctuation shape (indexed like `words`)."""
    out: list[WordPart] = []
    shapes: list[WordShape] = []
    for index, word in enumerate(words):
        shape = shape_of(word.word.strip(), index == len(words) - 1)
        shapes.append(shape)
        parts = shape.core.split("-")
        if len(parts) > 1 and not all(parts):
            parts = [shape.core]
        for part_index, part in enumerate(parts):
            out.append(
                WordPart(part.lower(), part, index, part_index == 0, part_index == len(parts) - 1)
            )
    return out, shapes


def barrier_end(
    tokens: list[WordPart], shapes: list[WordShape], start: int, allow: str = "", limit: int | None = None
) -> int:
    """Index past the last word part a rewrite starting at `start` may reach.

    Punctuation inside a span would be lost when words merge, so a span stops after a word with
    trailing punctuation (unless every such mark is in `allow`) and before a word with leading
    punctuation. `limit` caps the look-ahead (no rewrite is longer), keeping long transcripts linear.
    """
    index = start
    stop = len(tokens) if limit is None else min(len(tokens), start + limit)
    while index < stop:
        token = tokens[index]
        if index > start and token.first_part and shapes[token.word_index].lead:
            return index
        index += 1
        trail = shapes[token.word_index].trail
        if token.last_part and trail and not all(mark in allow for mark in trail):
            return index
    return index


def build_words(words: list[Word], tokens: list[WordPart], shapes: list[WordShape], pieces: list[Piece]) -> list[Word]:
    """Rebuild the word list: pieces replace their source words, other words pass through unchanged.

    A piece that ends inside a hyphenated word keeps the rest of it ("twenty-five-year-old" ->
    "25-year-old"). Each new word spans its source words, takes their maximum confidence and the
    first word's speaker fields.
    """
    out: list[Word] = []
    by_start = {piece.start: piece for piece in pieces}
    index = 0
    next_word = 0
    while index < len(tokens):
        piece = by_start.get(index)
        if piece is None:
            word_index = tokens[index].word_index
            if word_index >= next_word:
                out.append(words[word_index])
                next_word = word_index + 1
            index += 1
            continue
        first = tokens[piece.start].word_index
        last = tokens[piece.end - 1].word_index
        text = piece.text
        end = piece.end
        while end < len(tokens) and tokens[end].word_index == last:
            text += "-" + tokens[end].original
            end += 1
        sources = words[first:last + 1]
        trail = shapes[last].trail
        if trail and text.endswith(trail[0]):
            trail = trail[1:]
        out.append(
            Word(
                word=shapes[first].lead + text + trail,
                start=sources[0].start,
                end=sources[-1].end,
                confidence=max(w.confidence for w in sources),
                speaker=sources[0].speaker,
                speaker_confidence=sources[0].speaker_confidence,
            )
        )
        next_word = last + 1
        index = end
    return out


# English hesitation sounds Whisper sometimes writes out; Pulse's transcripts leave them out.
FILLER_WORDS = frozenset({"uh", "um", "umm", "uhm", "er", "erm", "hmm", "hm", "mm", "mhm"})


def is_filler(word: str) -> bool:
    """Whether a transcript word (any case, with its punctuation) is only a hesitation sound."""
    return word.strip().strip(".,!?;:…-\"'").lower() in FILLER_WORDS
