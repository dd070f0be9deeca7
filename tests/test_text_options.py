"""Text options on finals: formatting switches (punctuate, capitalize, format, numerals) and keywords (§8.3)."""

from __future__ import annotations

import re

import pytest

from models.text import (
    Keyword,
    KeywordError,
    TextOptions,
    apply_keyword_casing,
    apply_keyword_casing_text,
    apply_text_options,
    apply_to_transcript,
    keyword_prompt,
    parse_keywords,
    parse_numerals,
    text_options_from_query,
)
from models.text.formatting import strip_punctuation
from models.text.keywords import MAX_KEYWORDS, KeywordPromptConfig, repeats_for
from models.transcript import Transcript, Utterance
from tests.helpers import timed_words

# --- formatting switches -----------------------------------------------------------------------

def test_punctuate_false_strips_only_sentence_marks() -> None:
    words, text = apply_text_options(timed_words("Hello, world! Is it 3.5? Yes."), "Hello, world! Is it 3.5? Yes.",
                                     TextOptions(punctuate=False), "en")
    assert [w.word for w in words] == ["Hello", "world", "Is", "it", "3.5", "Yes"]
    assert text == "Hello world Is it 3.5 Yes"
    assert strip_punctuation("$12.50, 1,000; a:b") == "$12.50 1,000; a:b"


def test_punctuation_only_words_are_dropped() -> None:
    words, _ = apply_text_options(timed_words("yes ? no"), "yes ? no", TextOptions(punctuate=False), "en")
    assert [w.word for w in words] == ["yes", "no"]


def test_capitalize_false_lowercases_everything() -> None:
    words, text = apply_text_options(timed_words("Hello NASA"), "Hello NASA.", TextOptions(capitalize=False), "en")
    assert [w.word for w in words] == ["hello", "nasa"]
    assert text == "hello nasa."


def test_format_false_is_the_master_switch() -> None:
    words, text = apply_text_options(
        timed_words("It costs twenty dollars."), "It costs twenty dollars.",
        TextOptions(format=False, itn=True, numerals="true"), "en",
    )
    assert [w.word for w in words] == ["it", "costs", "twenty", "dollars"]
    assert text == "it costs twenty dollars"


def test_itn_switch_and_language_gate() -> None:
    source = "It costs twenty dollars."
    words, text = apply_text_options(timed_words(source), source, TextOptions(itn=True), "en")
    assert text == "It costs $20." and [w.word for w in words] == ["It", "costs", "$20."]
    assert apply_text_options(timed_words(source), source, TextOptions(itn=True), "en-US")[1] == "It costs $20."
    assert apply_text_options(timed_words(source), source, TextOptions(itn=True), "de")[1] == source
    assert apply_text_options(timed_words(source), source, TextOptions(itn=True), None)[1] == source
    assert apply_text_options(timed_words(source), source, TextOptions(), "en")[1] == source


def test_itn_with_formatting_off_still_lowercases_written_form() -> None:
    source = "Meet at three thirty pm."
    _, text = apply_text_options(timed_words(source), source, TextOptions(itn=True, capitalize=False, punctuate=False), "en")
    assert text == "meet at 3:30 pm"


@pytest.mark.parametrize(
    ("numerals", "expected"),
    [
        ("true", "I have 2 kids and one dog, 25 cats"),
        ("digits", "I have 2 kids and one dog, 25 cats"),
        ("false", "I have two kids and one dog, twenty five cats"),
        ("words", "I have two kids and one dog, twenty five cats"),
        ("auto", "I have two kids and one dog, twenty five cats"),
        (None, "I have two kids and one dog, twenty five cats"),
    ],
)
def test_numerals(numerals: str | None, expected: str) -> None:
    source = "I have two kids and one dog, twenty five cats"
    assert apply_text_options([], source, TextOptions(numerals=numerals), "en")[1] == expected


def test_parse_numerals_values() -> None:
    assert parse_numerals("TRUE") == "digits" and parse_numerals("words") == "words"
    with pytest.raises(ValueError, match="numerals must be one of"):
        parse_numerals("yes")


def test_apply_to_transcript_covers_utterances() -> None:
    transcript = Transcript(
        text="Room twenty one. Bye!",
        words=timed_words("Room twenty one. Bye!"),
        utterances=[Utterance("Room twenty one.", 0.0, 1.4), Utterance("Bye!", 1.5, 1.9)],
        language="en",
    )
    out = apply_to_transcript(transcript, TextOptions(itn=True, punctuate=False))
    assert out.text == "Room 21 Bye"
    assert [w.word for w in out.words] == ["Room", "21", "Bye"]
    assert [u.text for u in out.utterances] == ["Room 21", "Bye"]
    assert transcript.text == "Room twenty one. Bye!"


# --- keywords (§8.3) ---------------------------------------------------------------------------

def test_parse_keywords_entries() -> None:
    assert parse_keywords("NVIDIA:2,Jensen Huang:1") == [Keyword("NVIDIA", 2.0), Keyword("Jensen Huang", 1.0)]
    assert parse_keywords("Acme") == [Keyword("Acme", 1.0)]
    assert parse_keywords(" Acme : 1.5 , Big   Co:0, x:.5") == [
        Keyword("Acme", 1.5), Keyword("Big Co", 0.0), Keyword("x", 0.5),
    ]
    assert parse_keywords("a:1,b:3,a:2") == [Keyword("a", 2.0), Keyword("b", 3.0)]
    assert parse_keywords("ratio 3:2") == [Keyword("ratio 3", 2.0)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty; omit the parameter"),
        ("   ", "empty; omit the parameter"),
        ('["I:20,smiling:26"]', "not a JSON array"),
        ("[a:1]", "not a JSON array"),
        ("a,,b", "keyword 2 is empty"),
        ("a,b,", "keyword 3 is empty"),
        (":2", "keyword 1"),
        ("a:-1", "must be 0 or more"),
        ("a:nan", "is not a number"),
        ("a:inf", "is not a number"),
        ("a:1e3", "is not a number"),
        ("a:", "no intensifier"),
        ("a:two", "is not a number"),
    ],
)
def test_parse_keywords_errors(value: str, message: str) -> None:
    with pytest.raises(KeywordError, match=re.escape(message)):
        parse_keywords(value)


def test_keyword_limit() -> None:
    assert len(parse_keywords(",".join(f"k{i}" for i in range(MAX_KEYWORDS)))) == MAX_KEYWORDS
    with pytest.raises(KeywordError, match="at most 10000"):
        parse_keywords(",".join(f"k{i}" for i in range(MAX_KEYWORDS + 1)))


def test_keyword_prompt_orders_and_bounds() -> None:
    keywords = parse_keywords("low:0.5,mid:2,high:4,off:0,flood:26")
    prompt = keyword_prompt(keywords)
    parts = prompt.split(", ")
    assert parts[:4] == ["flood", "high", "mid", "low"]  # strongest first, every keyword once first
    assert "off" not in parts
    config = KeywordPromptConfig()
    assert parts.count("flood") == config.max_repeats == parts.count("high")
    assert parts.count("mid") == 2 and parts.count("low") == 1
    assert repeats_for(1000.0) == config.max_repeats


def test_keyword_prompt_respects_max_chars() -> None:
    keywords = [Keyword(f"keyword{i}", 3.0) for i in range(500)]
    prompt = keyword_prompt(keywords, max_chars=120)
    assert 0 < len(prompt) <= 120
    assert prompt.split(", ")[0] == "keyword0"
    assert keyword_prompt([]) == ""


def test_keyword_casing_on_words_and_text() -> None:
    keywords = parse_keywords("NVIDIA:2,Jensen Huang,iPhone")
    words = timed_words("nvidia, said jensen huang. Buy an IPHONE")
    out = apply_keyword_casing(words, keywords)
    assert [w.word for w in out] == ["NVIDIA,", "said", "Jensen", "Huang.", "Buy", "an", "iPhone"]
    assert (out[2].start, out[3].end) == (words[2].start, words[3].end)
    assert words[0].word == "nvidia,"
    assert apply_keyword_casing_text("ask jensen about huang", keywords) == "ask jensen about huang"
    assert apply_keyword_casing_text("(nvidia)", keywords) == "(NVIDIA)"


def test_keyword_casing_through_text_options() -> None:
    keywords = tuple(parse_keywords("NVIDIA:2,Jensen Huang"))
    source = "nvidia hired jensen huang."
    words, text = apply_text_options(timed_words(source), source, TextOptions(keywords=keywords), "de")
    assert text == "NVIDIA hired Jensen Huang."
    assert [w.word for w in words] == ["NVIDIA", "hired", "Jensen", "Huang."]
    # capitalize=false lower-cases all output, keywords included (§4.2).
    _, lowered = apply_text_options([], source, TextOptions(keywords=keywords, capitalize=False), "en")
    assert lowered == "nvidia hired jensen huang."


def test_text_options_from_query() -> None:
    assert text_options_from_query({}) == TextOptions()
    options = text_options_from_query(
        {"punctuate": "FALSE", "capitalize": "True", "format": "yes", "itn_normalize": "true",
         "numerals": "true", "keywords": "Acme:2,Big Co"}
    )
    assert options == TextOptions(
        punctuate=False, capitalize=True, format=False, itn=True, numerals="digits",
        keywords=(Keyword("Acme", 2.0), Keyword("Big Co", 1.0)),
    )
    assert text_options_from_query({"numerals": "maybe"}).numerals == "auto"
    with pytest.raises(KeywordError):
        text_options_from_query({"keywords": ""})
