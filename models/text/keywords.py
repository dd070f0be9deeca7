"""Keyword boosting (§8.3): parse the `keywords` query value, build a decoder prompt, apply keyword casing.

Whisper has no per-token bias, so a boost is expressed through the prompt (faster-whisper
`hotwords`, or `initial_prompt`): a higher intensifier puts a keyword earlier and repeats it, up to
a bound so that large values (> 5, which the spec warns hallucinate) cannot flood the prompt.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from models.transcript import Word

MAX_KEYWORDS = 10_000
DEFAULT_INTENSIFIER = 1.0
# A non-negative integer or decimal; no sign, exponent, inf or nan.
_INTENSIFIER_RE = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_EDGE_PUNCT = ".,!?;:\"'()[]{}\u201c\u201d\u2018\u2019"


class KeywordError(ValueError):
    """A malformed `keywords` value; the message says what to change (sent back as a 400)."""


@dataclass(frozen=True)
class Keyword:
    text: str
    intensifier: float = DEFAULT_INTENSIFIER


@dataclass(frozen=True)
class KeywordPromptConfig:
    """Bounds of the prompt built from keywords; a YAML `text.keywords` section can fill them.

    `max_chars`: faster-whisper keeps at most ~223 prompt tokens; ~400 characters stays well inside
    that and leaves room for the previous-text context. `max_repeats`: copies of one keyword for
    the highest intensifiers. `min_intensifier`: keywords below it (e.g. 0) only fix casing.
    """

    max_chars: int = 400
    max_repeats: int = 3
    min_intensifier: float = 0.5
    separator: str = ", "


DEFAULT_PROMPT = KeywordPromptConfig()


def parse_keywords(value: str, max_keywords: int = MAX_KEYWORDS) -> list[Keyword]:
    """Parse `word[:intensifier],phrase with spaces[:intensifier],...` (the server has decoded `+`).

    Duplicates (case-sensitive) keep the first position and the highest intensifier.
    Raises KeywordError for an empty value, empty entries, JSON-looking values, bad intensifiers
    and more than `max_keywords` entries.
    """
    stripped = value.strip()
    if not stripped:
        raise KeywordError("keywords is empty; omit the parameter or give e.g. keywords=Acme:2,Jane Doe")
    if stripped[0] in "[{\"'" or stripped[-1] in "]}":
        raise KeywordError(
            "keywords must be one comma-separated string such as keywords=Acme:2,Jane Doe, not a JSON array"
        )
    entries = stripped.split(",")
    if len(entries) > max_keywords:
        raise KeywordError(f"too many keywords: {len(entries)} given, at most {max_keywords} allowed")
    found: dict[str, Keyword] = {}
    for number, entry in enumerate(entries, start=1):
        keyword = _parse_entry(entry, number)
        previous = found.get(keyword.text)
        if previous is None or keyword.intensifier > previous.intensifier:
            found[keyword.text] = keyword
    return list(found.values())


def _parse_entry(entry: str, number: int) -> Keyword:
    text, intensifier = entry, DEFAULT_INTENSIFIER
    if ":" in entry:
        text, raw = entry.rsplit(":", 1)
        raw = raw.strip()
        if not raw:
            raise KeywordError(f"keyword {number} ({entry.strip()!r}) has ':' but no intensifier after it")
        if raw.startswith("-"):
            raise KeywordError(f"keyword {number} ({entry.strip()!r}): the intensifier must be 0 or more")
        if not _INTENSIFIER_RE.match(raw):
            raise KeywordError(
                f"keyword {number} ({entry.strip()!r}): intensifier {raw!r} is not a number like 2 or 1.5"
            )
        intensifier = float(raw)
        if not math.isfinite(intensifier):
            raise KeywordError(f"keyword {number} ({entry.strip()!r}): intensifier {raw!r} is not finite")
    text = " ".join(text.split())
    if not text:
        where = f"keyword {number}" + (f" ({entry.strip()!r})" if entry.strip() else "")
        raise KeywordError(f"{where} is empty; check for doubled or trailing commas")
    return Keyword(text, intensifier)


def repeats_for(intensifier: float, config: KeywordPromptConfig = DEFAULT_PROMPT) -> int:
    """How many times a keyword appears in the prompt: 0 below `min_intensifier`, then 1, 2, ... capped."""
    if intensifier < config.min_intensifier:
        return 0
    return max(1, min(config.max_repeats, math.ceil(intensifier - 1e-9)))


def keyword_prompt(
    keywords: list[Keyword], max_chars: int = DEFAULT_PROMPT.max_chars, config: KeywordPromptConfig = DEFAULT_PROMPT
) -> str:
    """A `hotwords` / `initial_prompt` string: strongest keywords first, repeated by intensifier.

    Copies are laid out round by round (every boosted keyword once, then those that earn a second
    copy, ...), so a long list still gets every keyword in before anything repeats. Stops before
    `max_chars`. An empty string means nothing to boost.
    """
    ranked = sorted(keywords, key=lambda keyword: -keyword.intensifier)
    counts = [repeats_for(keyword.intensifier, config) for keyword in ranked]
    parts: list[str] = []
    length = 0
    for round_number in range(config.max_repeats):
        for keyword, count in zip(ranked, counts, strict=True):
            if count <= round_number:
                continue
            extra = len(keyword.text) + (len(config.separator) if parts else 0)
            if length + extra > max_chars:
                return config.separator.join(parts)
            parts.append(keyword.text)
            length += extra
    return config.separator.join(parts)


def apply_keyword_casing(words: list[Word], keywords: list[Keyword]) -> list[Word]:
    """Words that match a keyword case-insensitively take the keyword's casing (phrases word by word).

    Punctuation around a word is kept ("nvidia," -> "NVIDIA,"). Longer phrases win over shorter ones.
    """
    phrases = sorted(
        ({tuple(keyword.text.split()) for keyword in keywords}), key=lambda parts: (-len(parts), parts)
    )
    out = [replace(word) for word in words]
    cores = [_split_edges(word.word) for word in out]
    index = 0
    while index < len(out):
        matched = 0
        for phrase in phrases:
            span = cores[index:index + len(phrase)]
            if len(span) == len(phrase) and all(core.lower() == part.lower() for (_, core, _), part in
                                                 zip(span, phrase, strict=True)):
                for offset, part in enumerate(phrase):
                    lead, _, trail = cores[index + offset]
                    out[index + offset] = replace(out[index + offset], word=lead + part + trail)
                matched = len(phrase)
                break
        index += max(1, matched)
    return out


def apply_keyword_casing_text(text: str, keywords: list[Keyword]) -> str:
    """The same casing fix on a bare transcript string."""
    words = [Word(word=part, start=0.0, end=0.0, confidence=1.0) for part in text.split()]
    return " ".join(word.word for word in apply_keyword_casing(words, keywords))


def _split_edges(word: str) -> tuple[str, str, str]:
    core = word.strip(_EDGE_PUNCT)
    if not core:
        return word, "", ""
    lead = word[: len(word) - len(word.lstrip(_EDGE_PUNCT))]
    return lead, core, word[len(lead) + len(core):]
