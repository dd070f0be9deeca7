"""Text post-processing of finals: ITN (incl. the §8.2 word-span rule), formatting switches, keywords (§8.3)."""

from __future__ import annotations

import json
import re

import pytest

from models.text import (
    TextOptions,
    apply_text_options,
    itn_text,
    itn_words,
)
from models.text.numbers import NUMBER_WORDS
from models.transcript import Word
from tests.helpers import DATA, timed_words

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
        # A caller reading digits pauses after each; Whisper writes the pauses as commas, in words or numerals.
        ("The reference code is six, six, seven, zero, six, two.", "The reference code is 667062."),
        ("call back on five, five, three, four, five, nine, one, eight, eight, zero.", "call back on 553-459-1880."),
        ("My account number is 0, 4, 9, 3, 4, 5, 2, 9.", "My account number is 04934529."),
        ("it ends in oh, four, nine, three, thanks", "it ends in 0493, thanks"),
        ("it ends in 4, 9, three, eight", "it ends in 4938"),
        # Or joins them with hyphens, or leaves them as separate numerals.
        ("My account number is 0-4-9-3-4-5-2-9", "My account number is 04934529"),
        ("the code is 7 0 4 1", "the code is 7041"),
    ],
)
def test_digit_runs_read_with_pauses(spoken: str, written: str) -> None:
    assert itn_text(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("one, two, three, four", "one, two, three, four"),  # a count, not a number
        ("pages 3, 4, 5, 6", "pages 3, 4, 5, 6"),
        ("nine, eight, seven, six", "nine, eight, seven, six"),
        ("my pin is four two four two, five times", "my pin is 4242, five times"),  # no pause inside the run
        ("I have two, three apples", "I have two, three apples"),  # shorter than min_digit_run
        ("the version is 1.2.3.4", "the version is 1.2.3.4"),
    ],
)
def test_paused_digit_runs_leave_counts_and_lists_alone(spoken: str, written: str) -> None:
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
    words = timed_words("I paid twelve dollars and fifty cents today")
    words[3].confidence = 0.99  # "dollars": the max must come from inside the span, not its ends
    out = itn_words(words)
    assert [w.word for w in out] == ["I", "paid", "$12.50", "today"]
    money = out[2]
    assert money.start == words[2].start and money.end == words[6].end
    assert money.confidence == 0.99
    assert out[3] == words[7]


def test_speaker_fields_come_from_first_source_word() -> None:
    words = timed_words("call five five five one two three four", speaker=1)
    words[2].speaker, words[2].speaker_confidence = 2, 0.3
    out = itn_words(words)
    assert [w.word for w in out] == ["call", "555-1234"]
    assert out[1].speaker == 1 and out[1].speaker_confidence == 0.9
    assert out[1].start == words[1].start and out[1].end == words[-1].end
    assert out[1].confidence == max(w.confidence for w in words[1:])


def test_split_outputs_keep_their_own_spans() -> None:
    words = timed_words("at three thirty pm")
    out = itn_words(words)
    assert [w.word for w in out] == ["at", "3:30", "PM"]
    assert (out[1].start, out[1].end) == (words[1].start, words[2].end)
    assert (out[2].start, out[2].end) == (words[3].start, words[3].end)
    date_words = timed_words("March third twenty twenty four")
    dates = itn_words(date_words)
    assert [w.word for w in dates] == ["March", "3,", "2024"]
    assert (dates[1].start, dates[1].end) == (date_words[1].start, date_words[1].end)
    assert (dates[2].start, dates[2].end) == (date_words[2].start, date_words[4].end)


def test_trailing_punctuation_is_reattached_once() -> None:
    out = itn_words(timed_words("it was twenty three, I think. Nineteen eighty four!"))
    assert [w.word for w in out] == ["it", "was", "23,", "I", "think.", "1984!"]
    assert itn_text("it is twenty three.") == "it is 23."
    assert itn_text('"forty-two line Bible"') == '"42 line Bible"'
    assert itn_text("twenty; three") == "20; three"


def test_punctuation_inside_a_span_stops_the_match() -> None:
    assert itn_text("twenty, three") == "20, three"
    assert itn_text("five, five five one two") == "five, 5512"


def test_hyphenated_words_keep_their_tail() -> None:
    words = timed_words("a twenty-five-year-old man")
    out = itn_words(words)
    assert [w.word for w in out] == ["a", "25-year-old", "man"]
    assert out[1].start == words[1].start and out[1].end == words[1].end


def test_inputs_are_not_modified() -> None:
    words = timed_words("twenty three apples")
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
    manifest = DATA / "asr_en.jsonl"
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
        pytest.skip(f"no asr_en.jsonl under {DATA}")
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
        pytest.skip(f"no asr_en.jsonl under {DATA}")
    rows = [json.loads(line) for line in (DATA / "asr_en.jsonl").read_text().splitlines()]
    plain = [
        row["text"] for row in rows
        if not any(part.strip(".,;:!?\"'").lower() in NUMBER_WORDS for part in row["text"].replace("-", " ").split())
    ]
    assert plain
    for text in plain:
        assert itn_text(text) == " ".join(text.split())
