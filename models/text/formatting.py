"""The `format`, `punctuate`, `capitalize`, `itn_normalize` and `numerals` switches (§4.2) applied to a final.

Order: ITN -> numerals -> keyword casing -> punctuation -> lower-casing. `format=false` is the master switch of the
spec's reading A (§13 C13): it turns punctuation, capitals, ITN and numerals off. ITN and
numerals are English-only; other languages get the formatting switches only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from models.text.itn import DEFAULT_ITN, NUMERALS_ITN, itn_text, itn_words
from models.text.keywords import Keyword, apply_keyword_casing, apply_keyword_casing_text, parse_keywords
from models.transcript import Transcript, Word

# §4.2: punctuate=false removes exactly these; a mark between two letters/digits ("3.5",
# "$12.50", "1,000") belongs to the token and stays.
STRIPPED_PUNCTUATION = frozenset(".,?!")
NUMERALS_DIGITS = "digits"
NUMERALS_WORDS = "words"
NUMERALS_AUTO = "auto"
_NUMERALS_ALIASES = {
    "true": NUMERALS_DIGITS, "digits": NUMERALS_DIGITS,
    "false": NUMERALS_WORDS, "words": NUMERALS_WORDS,
    "auto": NUMERALS_AUTO,
}


@dataclass(frozen=True)
class TextOptions:
    """Per-session text switches, already parsed from the query (§4.2 booleans).

    `keywords` only fixes casing here (§8.3: output uses the keyword's casing); the decoding
    boost is `keywords.keyword_prompt`, passed to the recogniser.
    """

    punctuate: bool = True
    capitalize: bool = True
    format: bool = True
    itn: bool = False
    numerals: str | None = None
    keywords: tuple[Keyword, ...] = ()


def query_bool(query: Mapping[str, str], name: str, default: bool) -> bool:
    """§4.2 booleans: absent -> default; "true" in any case -> True; any other string -> False."""
    value = query.get(name)
    return default if value is None else value.strip().lower() == "true"


def text_options_from_query(query: Mapping[str, str]) -> TextOptions:
    """TextOptions from WebSocket/HTTP query parameters (names as on the wire, values as strings).

    Raises KeywordError for a malformed `keywords` value (answer 400 before the upgrade). An
    unknown `numerals` value is treated as "auto", since the parameter is legacy and undocumented.
    """
    keywords = query.get("keywords")
    numerals = query.get("numerals")
    return TextOptions(
        punctuate=query_bool(query, "punctuate", True),
        capitalize=query_bool(query, "capitalize", True),
        format=query_bool(query, "format", True),
        itn=query_bool(query, "itn_normalize", False),
        numerals=_canonical_numerals(numerals) if numerals is not None else None,
        keywords=tuple(parse_keywords(keywords)) if keywords is not None else (),
    )


def parse_numerals(value: str) -> str:
    """Canonical `numerals` value: "digits" (true/digits), "words" (false/words) or "auto".

    Raises ValueError with a message listing the accepted values.
    """
    canonical = _NUMERALS_ALIASES.get(value.strip().lower())
    if canonical is None:
        raise ValueError(f"numerals must be one of true, false, auto, digits, words (got {value!r})")
    return canonical


def is_english(language: str | None) -> bool:
    """True for "en", "en-US", "en_GB"; an unknown language (None) is not assumed to be English."""
    if not language:
        return False
    return language.replace("_", "-").split("-")[0].lower() == "en"


def apply_text_options(
    words: list[Word], text: str, options: TextOptions, language: str | None
) -> tuple[list[Word], str]:
    """Words and display text of a final with the options applied; inputs are not modified.

    `text` is processed on its own (it need not be the join of `words`, which may be empty).
    `numerals`: "digits" writes numbers as digits (every number but a lone "one"/"zero");
    "words" and "auto" leave the recogniser's own choice, which for Whisper is already
    digits for most numbers.
    """
    words = [replace(word) for word in words]
    punctuate, capitalize = options.punctuate, options.capitalize
    itn, numerals = options.itn, _canonical_numerals(options.numerals)
    if not options.format:
        punctuate = capitalize = itn = False
        numerals = NUMERALS_AUTO
    if is_english(language):
        if itn:
            words, text = itn_words(words, DEFAULT_ITN), itn_text(text, DEFAULT_ITN)
        if numerals == NUMERALS_DIGITS:
            words, text = itn_words(words, NUMERALS_ITN), itn_text(text, NUMERALS_ITN)
    if options.keywords:
        keywords = list(options.keywords)
        words, text = apply_keyword_casing(words, keywords), apply_keyword_casing_text(text, keywords)
    if not punctuate:
        words = [replace(word, word=strip_punctuation(word.word)) for word in words]
        words = [word for word in words if word.word]
        text = " ".join(strip_punctuation(text).split())
    if not capitalize:
        words = [replace(word, word=word.word.lower()) for word in words]
        text = text.lower()
    return words, text


def apply_to_transcript(transcript: Transcript, options: TextOptions) -> Transcript:
    """The same switches over a whole Transcript: text, words and each utterance's text."""
    words, text = apply_text_options(transcript.words, transcript.text, options, transcript.language)
    utterances = [
        replace(utterance, text=apply_text_options([], utterance.text, options, transcript.language)[1])
        for utterance in transcript.utterances
    ]
    return replace(transcript, text=text, words=words, utterances=utterances)


def strip_punctuation(text: str) -> str:
    """Remove `. , ? !` except where they sit between two letters or digits."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char in STRIPPED_PUNCTUATION:
            before = text[index - 1] if index > 0 else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if not (before.isalnum() and after.isalnum()):
                continue
        out.append(char)
    return "".join(out)


def _canonical_numerals(value: str | None) -> str:
    if value is None:
        return NUMERALS_AUTO
    try:
        return parse_numerals(value)
    except ValueError:
        return NUMERALS_AUTO
