"""Token numbering (`[FIRSTNAME_1]` …) and applying redaction spans to text and timed words.

A `TokenBook` lives as long as one request or one streaming session: the same value gets the
same index every time it appears, a new value the next index. It keeps only keyed hashes of
values (never the values), so a dump of a live session holds no personal data.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from models.redaction.entities import NUMERIC_TYPES
from models.transcript import Word


@dataclass(frozen=True)
class Span:
    """One detection on a text: characters [start, end) become `[TOKENTYPE_n]`."""

    start: int
    end: int
    entity: str  # detector type (see entities.py)
    token_type: str  # ENTITYTYPE in the token
    normalized: str  # the value as compared for numbering (never logged)
    score: float


def normalize_value(token_type: str, value: str) -> str:
    """Comparable form of a value: digits for numbers, lower-case alphanumerics otherwise."""
    if token_type in NUMERIC_TYPES:
        digits = re.sub(r"\D", "", value)
        if digits:
            return digits
    return re.sub(r"[\W_]+", "", value.lower()) or value.lower()


class TokenBook:
    """Per-type numbering of redacted values for one request or one streaming session.

    Thread-safe. `fork()` gives a copy for partial (interim) results, so values that appear only
    in a partial never consume an index the session's finals will use.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._salt = secrets.token_bytes(16)
        self._index: dict[str, dict[bytes, int]] = {}
        self._used: list[str] = []
        # Context cue kinds from the end of the last text ("… my card number is"), so digits that
        # arrive in the next streaming final are judged with that context.
        self.carry: frozenset[str] = frozenset()

    def _key(self, normalized: str) -> bytes:
        return hashlib.blake2b(normalized.encode("utf-8"), key=self._salt, digest_size=16).digest()

    def token(self, token_type: str, normalized: str) -> str:
        """`[TYPE_n]` for this value: the index it already has, or the next free one."""
        key = self._key(normalize_value(token_type, normalized))
        with self._lock:
            per_type = self._index.setdefault(token_type, {})
            index = per_type.get(key)
            if index is None:
                index = len(per_type) + 1
                per_type[key] = index
            token = f"[{token_type}_{index}]"
            if token not in self._used:
                self._used.append(token)
            return token

    @property
    def used(self) -> list[str]:
        """Every token this book has handed out, in order of first use."""
        with self._lock:
            return list(self._used)

    def fork(self) -> TokenBook:
        """An independent copy: same numbering so far, later tokens not shared back."""
        other = TokenBook()
        with self._lock:
            other._salt = self._salt
            other._index = {k: dict(v) for k, v in self._index.items()}
            other._used = list(self._used)
            other.carry = self.carry
        return other


def assign(spans: Sequence[Span], book: TokenBook) -> list[tuple[Span, str]]:
    """Tokens for spans in text order (numbering follows order of appearance)."""
    return [(s, book.token(s.token_type, s.normalized)) for s in sorted(spans, key=lambda s: s.start)]


def apply_to_text(text: str, tokens: Sequence[tuple[Span, str]], lower: bool = False) -> str:
    """Replace each span's characters by its token (lower-cased in `words[]`, spec §8.1)."""
    out: list[str] = []
    pos = 0
    for span, token in sorted(tokens, key=lambda x: x[0].start):
        if span.start < pos:
            continue
        out.append(text[pos : span.start])
        out.append(token.lower() if lower else token)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def unique_in_order(tokens: Sequence[tuple[Span, str]]) -> list[str]:
    seen: list[str] = []
    for _, token in sorted(tokens, key=lambda x: x[0].start):
        if token not in seen:
            seen.append(token)
    return seen


def align_words(text: str, words: Sequence[Word]) -> list[tuple[int, int]] | None:
    """Character range of each word inside `text`, in order; None when the words are not in it."""
    ranges: list[tuple[int, int]] = []
    pos = 0
    for w in words:
        piece = w.word.strip()
        if not piece:
            ranges.append((pos, pos))
            continue
        found = text.find(piece, pos)
        if found < 0 or text[pos:found].strip():
            return None
        ranges.append((found, found + len(piece)))
        pos = found + len(piece)
    if text[pos:].strip():
        return None
    return ranges


def apply_to_words(
    text: str, words: Sequence[Word], ranges: Sequence[tuple[int, int]], tokens: Sequence[tuple[Span, str]]
) -> list[Word]:
    """Words with every redacted stretch merged into one Word carrying the lower-cased token.

    The merged word spans the first word's start to the last word's end, takes the lowest
    confidence of the words it replaces and the first word's speaker; text of the first and last
    word outside the span (punctuation such as "Smith," -> "[lastname_1],") stays.
    """
    if not tokens:
        return list(words)
    # Word index range each span touches; overlapping ranges merge into one cluster.
    clusters: list[list[int]] = []  # [first word, last word]
    for span, _ in sorted(tokens, key=lambda x: x[0].start):
        hit = [i for i, (a, b) in enumerate(ranges) if a < span.end and span.start < b]
        if not hit:
            continue
        lo, hi = hit[0], hit[-1]
        if clusters and lo <= clusters[-1][1]:
            clusters[-1][1] = max(clusters[-1][1], hi)
        else:
            clusters.append([lo, hi])
    out: list[Word] = []
    i = 0
    for lo, hi in clusters:
        out.extend(words[i:lo])
        a, b = ranges[lo][0], ranges[hi][1]
        inner = [(s, t) for s, t in tokens if s.start < b and a < s.end]
        local = [
            (Span(max(s.start, a) - a, min(s.end, b) - a, s.entity, s.token_type, s.normalized, s.score), t)
            for s, t in inner
        ]
        merged = apply_to_text(text[a:b], local, lower=True)
        first = words[lo]
        out.append(
            Word(
                word=merged,
                start=first.start,
                end=words[hi].end,
                confidence=min(w.confidence for w in words[lo : hi + 1]),
                speaker=first.speaker,
                speaker_confidence=first.speaker_confidence,
            )
        )
        i = hi + 1
    out.extend(words[i:])
    return out
