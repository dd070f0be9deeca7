"""Text post-processing of finals: ITN (incl. the §8.2 word-span rule), formatting switches, keywords (§8.3)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from models.text import (
    Keyword,
    KeywordError,
    TextOptions,
    apply_keyword_casing,
    apply_keyword_casing_text,
    apply_text_options,
    apply_to_transcript,
    itn_text,
    itn_words,
    keyword_prompt,
    parse_keywords,
    parse_numerals,
    text_options_from_query,
)
from models.text.formatting import strip_punctuation
from models.text.keywords import MAX_KEYWORDS, KeywordPromptConfig, repeats_for
from models.text.numbers import NUMBER_WORDS
from models.transcript import Transcript, Utterance, Word

SHARED_DATA = Path(os.environ.get("PULSE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def timed(text: str, speaker: int | None = None) -> list[Word]:
    """Words 0.5 s apart with distinct confidences, so span and max-confidence checks are meaningful."""
    return [
        Word(word=part, start=index * 0.5, end=index * 0.5 + 0.4, confidence=0.5 + 0.01 * index,
             speaker=speaker, speaker_confidence=0.9 if speaker is not None else None)
        for index, part in enumerate(text.split())
    ]


# --- ITN: each class -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("twenty three", "23"),
        ("one hundred and five", "105"),
        ("two thousand", "2000"),
        ("twelve thousand three hundred", "12,300"),
        ("two thousand and twenty four", "2024"),
        ("nineteen hundred", "1900"),
        ("five million", "5 million"),
        ("ten", "10"),
        ("twenty-three", "23"),
    ],
)
def test_cardinals(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [("twenty first", "21st"), ("twenty second", "22nd"), ("thirty third", "33rd"), ("eleventh", "11th"),
     ("one hundred and twelfth", "112th"), ("tenth", "10th"), ("the first time", "the first time")],
)
def test_ordinals(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("five dollars", "$5"),
        ("one dollar", "$1"),
        ("twelve dollars and fifty cents", "$12.50"),
        ("twelve dollars fifty cents", "$12.50"),
        ("ten pounds", "£10"),
        ("three pounds and twenty pence", "£3.20"),
        ("twenty euros", "€20"),
        ("fifty rupees", "₹50"),
        ("five million dollars", "$5 million"),
        ("two point five million dollars", "$2.5 million"),
        ("fifty cents", "$0.50"),
        ("it costs 5 dollars", "it costs $5"),
    ],
)
def test_money(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("call five five five one two three four", "call 555-1234"),
        ("five five five one two three four five six seven", "555-123-4567"),
        ("one eight oh oh five five five one two one two", "1-800-555-1212"),
        ("double five two three oh nine eight seven six five", "552-309-8765"),
        ("my pin is four two four two", "my pin is 4242"),
        ("plus four four seven nine one one", "+447911"),
        ("one two three", "one two three"),
    ],
)
def test_digit_runs_and_phone_numbers(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("march third twenty twenty four", "March 3, 2024"),
        ("March third, twenty twenty four.", "March 3, 2024."),
        ("on June twenty first", "on June 21"),
        ("in December nineteen ninety nine", "in December 1999"),
        ("January fifth two thousand five", "January 5, 2005"),
        ("the third of March", "the 3rd of March"),
        ("May fourth", "May 4"),
        ("you may fourth", "you may fourth"),
    ],
)
def test_dates(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("three thirty pm", "3:30 PM"),
        ("ten o'clock", "10:00"),
        ("seven fifteen a.m.", "7:15 AM."),
        ("at seven a.m. we left", "at 7 AM we left"),
        ("ten oh five pm", "10:05 PM"),
        ("meet at eleven thirty", "meet at 11:30"),
    ],
)
def test_times(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("nineteen eighty four", "1984"),
        ("fourteen fifty-five", "1455"),
        ("twenty twenty-four", "2024"),
        ("nineteen oh five", "1905"),
        ("since eleven fifty", "since 1150"),
        ("the nineteen eighties", "the nineteen eighties"),
    ],
)
def test_years(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("three point five", "3.5"),
        ("zero point two five", "0.25"),
        ("point five", "0.5"),
        ("five percent", "5%"),
        ("twelve point five per cent", "12.5%"),
        ("he ran five kilometers", "he ran 5 kilometers"),
        ("five pounds of flour", "5 pounds of flour"),
    ],
)
def test_decimals_percent_and_measures(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


# --- ITN: near misses stay as spoken ----------------------------------------------------------

@pytest.mark.parametrize(
    "spoken",
    [
        "one of them",
        "I have two kids",
        "no one came",
        "wait a second",
        "hundreds of people",
        "at one point he left",
        "I am here",
        "the first and second",
        "one, two, three, four",
        "Oh, I see",
        "one eight hundred",
        "eleven thirty",
        "the two twenty bills",
    ],
)
def test_near_misses_are_left_alone(spoken: str) -> None:
    assert itn_text(spoken) == spoken


def test_casing_of_other_words_is_kept() -> None:
    assert itn_text("The Price Was TWENTY FIVE Dollars Today") == "The Price Was $25 Today"


def test_itn_is_idempotent_on_written_text() -> None:
    written = "On March 3, 2024 at 3:30 PM I paid $12.50 (5%) to call 555-123-4567."
    assert itn_text(written) == written
    assert itn_text(itn_text("twelve dollars and fifty cents")) == "$12.50"


# --- ITN: the §8.2 word-span rule ------------------------------------------------------------

def test_merged_words_span_sources_and_take_max_confidence() -> None:
    words = timed("I paid twelve dollars and fifty cents today")
    words[3].confidence = 0.99  # "dollars": the max must come from inside the span, not its ends
    out = itn_words(words)
    assert [w.word for w in out] == ["I", "paid", "$12.50", "today"]
    money = out[2]
    assert money.start == words[2].start and money.end == words[6].end
    assert money.confidence == 0.99
    assert out[3] == words[7]


def test_speaker_fields_come_from_first_source_word() -> None:
    words = timed("call five five five one two three four", speaker=1)
    words[2].speaker, words[2].speaker_confidence = 2, 0.3
    out = itn_words(words)
    assert [w.word for w in out] == ["call", "555-1234"]
    assert out[1].speaker == 1 and out[1].speaker_confidence == 0.9
    assert out[1].start == words[1].start and out[1].end == words[-1].end
    assert out[1].confidence == max(w.confidence for w in words[1:])


def test_split_outputs_keep_their_own_spans() -> None:
    words = timed("at three thirty pm")
    out = itn_words(words)
    assert [w.word for w in out] == ["at", "3:30", "PM"]
    assert (out[1].start, out[1].end) == (words[1].start, words[2].end)
    assert (out[2].start, out[2].end) == (words[3].start, words[3].end)
    date_words = timed("March third twenty twenty four")
    dates = itn_words(date_words)
    assert [w.word for w in dates] == ["March", "3,", "2024"]
    assert (dates[1].start, dates[1].end) == (date_words[1].start, date_words[1].end)
    assert (dates[2].start, dates[2].end) == (date_words[2].start, date_words[4].end)


def test_trailing_punctuation_is_reattached_once() -> None:
    out = itn_words(timed("it was twenty three, I think. Nineteen eighty four!"))
    assert [w.word for w in out] == ["it", "was", "23,", "I", "think.", "1984!"]
    assert itn_text("it is twenty three.") == "it is 23."
    assert itn_text('"forty-two line Bible"') == '"42 line Bible"'
    assert itn_text("twenty; three") == "20; three"


def test_punctuation_inside_a_span_stops_the_match() -> None:
    assert itn_text("twenty, three") == "20, three"
    assert itn_text("five, five five one two") == "five, 5512"


def test_hyphenated_words_keep_their_tail() -> None:
    words = timed("a twenty-five-year-old man")
    out = itn_words(words)
    assert [w.word for w in out] == ["a", "25-year-old", "man"]
    assert out[1].start == words[1].start and out[1].end == words[1].end


def test_inputs_are_not_modified() -> None:
    words = timed("twenty three apples")
    before = [Word(**vars(w)) for w in words]
    itn_words(words)
    assert words == before


def test_empty_inputs() -> None:
    assert itn_words([]) == []
    assert itn_text("") == ""
    assert apply_text_options([], "", TextOptions(itn=True, punctuate=False), "en") == ([], "")


# --- ITN against real corpus references ---------------------------------------------------------

def _corpus_pairs() -> list[tuple[str, str, str]]:
    """(clip, spoken form, written form) for the asr_en rows that carry both forms."""
    manifest = SHARED_DATA / "asr_en.jsonl"
    if not manifest.exists():
        return []
    pairs = []
    for line in manifest.read_text().splitlines():
        row = json.loads(line)
        if "text_normalized" in row and row["text_normalized"] != row["text"]:
            pairs.append((row["audio"], row["text_normalized"], row["text"]))
        if "text_written_form" in row:
            pairs.append((row["audio"], row["text"], row["text_written_form"]))
    return pairs


YEAR_RE = re.compile(r"\b1\d{3}\b")


def test_corpus_years_become_written_years() -> None:
    """LJSpeech says years as pairs ("fourteen fifty-five"); ITN of the spoken form must give the written year."""
    pairs = _corpus_pairs()
    if not pairs:
        pytest.skip(f"no asr_en.jsonl under {SHARED_DATA}")
    with_years = [(clip, spoken, written) for clip, spoken, written in pairs if YEAR_RE.search(written)]
    assert len(with_years) >= 2  # LJ001-0007 (1455) and LJ002-0020 (1813)
    for clip, spoken, written in with_years:
        out = itn_text(spoken)
        assert YEAR_RE.findall(out) == YEAR_RE.findall(written), clip
        # Only the number words changed: the rest matches the spoken form word for word.
        assert len(out.split()) == len(spoken.split()) - sum(len(y) > 0 for y in YEAR_RE.findall(written)), clip


def test_corpus_rows_without_covered_numbers_are_unchanged() -> None:
    pairs = _corpus_pairs()
    if not pairs:
        pytest.skip(f"no asr_en.jsonl under {SHARED_DATA}")
    rows = [json.loads(line) for line in (SHARED_DATA / "asr_en.jsonl").read_text().splitlines()]
    plain = [
        row["text"] for row in rows
        if not any(part.strip(".,;:!?\"'").lower() in NUMBER_WORDS for part in row["text"].replace("-", " ").split())
    ]
    assert plain
    for text in plain:
        assert itn_text(text) == " ".join(text.split())


# --- formatting switches -----------------------------------------------------------------------

def test_punctuate_false_strips_only_sentence_marks() -> None:
    words, text = apply_text_options(timed("Hello, world! Is it 3.5? Yes."), "Hello, world! Is it 3.5? Yes.",
                                     TextOptions(punctuate=False), "en")
    assert [w.word for w in words] == ["Hello", "world", "Is", "it", "3.5", "Yes"]
    assert text == "Hello world Is it 3.5 Yes"
    assert strip_punctuation("$12.50, 1,000; a:b") == "$12.50 1,000; a:b"


def test_punctuation_only_words_are_dropped() -> None:
    words, _ = apply_text_options(timed("yes ? no"), "yes ? no", TextOptions(punctuate=False), "en")
    assert [w.word for w in words] == ["yes", "no"]


def test_capitalize_false_lowercases_everything() -> None:
    words, text = apply_text_options(timed("Hello NASA"), "Hello NASA.", TextOptions(capitalize=False), "en")
    assert [w.word for w in words] == ["hello", "nasa"]
    assert text == "hello nasa."


def test_format_false_is_the_master_switch() -> None:
    words, text = apply_text_options(
        timed("It costs twenty dollars."), "It costs twenty dollars.",
        TextOptions(format=False, itn=True, numerals="true"), "en",
    )
    assert [w.word for w in words] == ["it", "costs", "twenty", "dollars"]
    assert text == "it costs twenty dollars"


def test_itn_switch_and_language_gate() -> None:
    source = "It costs twenty dollars."
    words, text = apply_text_options(timed(source), source, TextOptions(itn=True), "en")
    assert text == "It costs $20." and [w.word for w in words] == ["It", "costs", "$20."]
    assert apply_text_options(timed(source), source, TextOptions(itn=True), "en-US")[1] == "It costs $20."
    assert apply_text_options(timed(source), source, TextOptions(itn=True), "de")[1] == source
    assert apply_text_options(timed(source), source, TextOptions(itn=True), None)[1] == source
    assert apply_text_options(timed(source), source, TextOptions(), "en")[1] == source


def test_itn_with_formatting_off_still_lowercases_written_form() -> None:
    source = "Meet at three thirty pm."
    _, text = apply_text_options(timed(source), source, TextOptions(itn=True, capitalize=False, punctuate=False), "en")
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
        words=timed("Room twenty one. Bye!"),
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
    words = timed("nvidia, said jensen huang. Buy an IPHONE")
    out = apply_keyword_casing(words, keywords)
    assert [w.word for w in out] == ["NVIDIA,", "said", "Jensen", "Huang.", "Buy", "an", "iPhone"]
    assert (out[2].start, out[3].end) == (words[2].start, words[3].end)
    assert words[0].word == "nvidia,"
    assert apply_keyword_casing_text("ask jensen about huang", keywords) == "ask jensen about huang"
    assert apply_keyword_casing_text("(nvidia)", keywords) == "(NVIDIA)"


def test_keyword_casing_through_text_options() -> None:
    keywords = tuple(parse_keywords("NVIDIA:2,Jensen Huang"))
    source = "nvidia hired jensen huang."
    words, text = apply_text_options(timed(source), source, TextOptions(keywords=keywords), "de")
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
