"""PII/PCI redaction engine: tokens, numbering, words/utterances mapping, flags, languages, corpus."""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from pathlib import Path

import pytest

from models.redaction import PCI_ENTITIES, PII_ENTITIES, RedactionConfig, Redactor, TokenBook
from models.redaction.number_rules import LEAVE, NUMBER_RULES, POLICY, NumberFacts
from models.redaction.numbers import luhn_window, number_runs
from models.redaction.recognizers import NumberRecognizer
from models.transcript import Transcript, Utterance, Word
from models.utterances import split_utterances
from tests.support.redaction import redact

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "redaction_corpus.jsonl"


def timed(text: str, speaker_every: int = 0) -> list[Word]:
    """Words 0.5 s apart with varying confidence; the speaker changes every `speaker_every` words."""
    return [
        Word(w, round(i * 0.5, 3), round(i * 0.5 + 0.4, 3), round(0.95 - (i % 4) * 0.1, 2),
             speaker=(i // speaker_every) % 2 if speaker_every else 0, speaker_confidence=round(0.5 + i / 100, 2))
        for i, w in enumerate(text.split())
    ]


# --- numbers as ASR writes them ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("four one one one", "4111"),
        ("double four oh five", "4405"),
        ("triple oh seven", "0007"),
        ("twenty twenty six", "2026"),
        ("four fifty five", "455"),
        ("eight hundred five five five", "800555"),
        ("nineteen eighty five", "1985"),
        ("4111-1111 1111,1111", "4111111111111111"),
        ("४१११ ११११", "41111111"),
        ("चार एक एक एक", "4111"),
    ],
)
def test_number_runs_read_spoken_and_written_digits(text, digits):
    runs = number_runs(text)
    assert len(runs) == 1 and runs[0].digits == digits
    assert (runs[0].start, runs[0].end) == (0, len(text))


def test_number_runs_skip_codes_and_interjections():
    assert number_runs("ABCPS1234K") == ()
    assert number_runs("oh I see") == ()

def test_luhn_window_finds_the_card_inside_a_longer_run():
    (run,) = number_runs("12 4111 1111 1111 1111")
    assert luhn_window(run, 13, 19) == (1, 4)
    (run,) = number_runs("4111 1111 1111 1112")
    assert luhn_window(run, 13, 19) is None


# --- tokens and numbering -----------------------------------------------------------------------


@pytest.mark.slow
def test_token_format_and_types(redactor):
    out = redact(redactor, "My name is John Smith, card 4111 1111 1111 1111, CVV 123, phone (415) 555-0134.")
    assert out == ("My name is [FIRSTNAME_1] [LASTNAME_1], card [ACCOUNTNUMBER_1], CVV [CREDITCARDCVV_1], "
                   "phone [PHONENUMBER_1].")


@pytest.mark.slow
def test_repeated_value_same_index_new_value_next(redactor):
    book = TokenBook()
    text, tokens = redactor.redact_text(
        "Card 4111 1111 1111 1111, I repeat four one one one one one one one one one one one one one one one, "
        "or the other card 5555 5555 5555 4444.",
        pii=True, pci=True, language="en", book=book,
    )
    assert text.count("[ACCOUNTNUMBER_1]") == 2 and "[ACCOUNTNUMBER_2]" in text
    assert tokens == ["[ACCOUNTNUMBER_1]", "[ACCOUNTNUMBER_2]"]


@pytest.mark.slow
def test_book_keeps_numbering_across_a_session(redactor):
    book = TokenBook()
    first = redact(redactor, "This is Maria Lopez.", book=book)
    second = redact(redactor, "Maria again, and my colleague Ahmed.", book=book)
    assert first == "This is [FIRSTNAME_1] [LASTNAME_1]."
    assert second == "[FIRSTNAME_1] again, and my colleague [FIRSTNAME_2]."
    assert book.used == ["[FIRSTNAME_1]", "[LASTNAME_1]", "[FIRSTNAME_2]"]


@pytest.mark.slow
def test_fork_does_not_consume_session_indices(redactor):
    book = TokenBook()
    redact(redactor, "This is Maria.", book=book)
    partial = book.fork()
    assert redact(redactor, "Maria and Priya", book=partial) == "[FIRSTNAME_1] and [FIRSTNAME_2]"
    assert book.used == ["[FIRSTNAME_1]"]


@pytest.mark.slow
def test_book_stores_no_plain_values(redactor):
    book = TokenBook()
    redact(redactor, "My card is 4111 1111 1111 1111 and I am Maria Lopez.", book=book)
    dump = repr(vars(book))
    assert "4111" not in dump and "maria" not in dump.lower()


@pytest.mark.slow
def test_streaming_finals_carry_card_context(redactor):
    book = TokenBook()
    assert redact(redactor, "my card number is", book=book) == "my card number is"
    assert redact(redactor, "four one one one one one one one", book=book) == "[ACCOUNTNUMBER_1]"
    assert redact(redactor, "one one one one one one one one", book=book) == "[ACCOUNTNUMBER_2]"
    assert redact(redactor, "and the security code is", book=book) == "and the security code is"
    assert redact(redactor, "seven three one", book=book) == "[CREDITCARDCVV_1]"
    assert redact(redactor, "we have two kids", book=book) == "we have two kids"


# --- spoken forms and near-misses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card number is four two four two four two four two four two four two four two four two and the cvv "
         "is one two three", "my card number is [ACCOUNTNUMBER_1] and the cvv is [CREDITCARDCVV_1]"),
        ("it expires oh four twenty six", "it expires [TIME_1]"),
        ("my email is jane dot doe at yahoo dot com", "my email is [EMAIL_1]"),
        ("call me on five five five one two three four five six seven", "call me on [PHONENUMBER_1]"),
        ("i live at four fifty five elm street apartment three b",
         "i live at [BUILDINGNUMBER_1] [ADDRESS_1] apartment [BUILDINGNUMBER_2]"),
        ("my social is one two three four five six seven eight nine", "my social is [SSN_1]"),
        ("my zip code is nine four one zero three", "my zip code is [ZIPCODE_1]"),
        ("routing number oh two one oh oh oh oh two one", "routing number [ACCOUNTNUMBER_1]"),
        ("hi my name is david miller", "hi my name is [FIRSTNAME_1] [LASTNAME_1]"),
        ("I was born on March 14, 1985 and we met at 3:30 pm", "I was born on [DATE_1] and we met at [TIME_1]"),
    ],
)
@pytest.mark.slow
def test_spoken_forms(redactor, text, expected):
    assert redact(redactor, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I have two kids.",
        "my order number is 4482913 and it hasn't arrived",
        "Can you call me in five minutes?",
        "The total came to 1,249 dollars.",
        "The tracking number is 1Z999AA10123456784.",
        "May I speak to your manager?",
        "We flew to Paris for the conference.",
        "In 2019 we switched to the new plan.",
        "This is great, thank you so much.",
    ],
)
@pytest.mark.slow
def test_near_misses_are_left_alone(redactor, text):
    assert redact(redactor, text) == text


# --- flags and languages ----------------------------------------------------------------------


@pytest.mark.slow
def test_pii_and_pci_are_disjoint(redactor):
    assert not PII_ENTITIES & PCI_ENTITIES
    text = "I'm John Smith, card 4111 1111 1111 1111, zip 94103, phone 415 555 0134."
    pii = redact(redactor, text, pii=True, pci=False)
    pci = redact(redactor, text, pii=False, pci=True)
    assert pii == "I'm [FIRSTNAME_1] [LASTNAME_1], card 4111 1111 1111 1111, zip 94103, phone [PHONENUMBER_1]."
    assert pci == "I'm John Smith, card [ACCOUNTNUMBER_1], zip [ZIPCODE_1], phone 415 555 0134."
    assert redact(redactor, text, pii=False, pci=False) == text


@pytest.mark.slow
def test_other_languages_unchanged(redactor):
    text = "Je m'appelle John Smith, carte 4111 1111 1111 1111."
    for language in ("fr", "de", "multi-eu", None):
        assert redactor.redact_text(text, pii=True, pci=True, language=language, book=TokenBook()) == (text, [])


@pytest.mark.slow
def test_hindi_patterns(redactor):
    out = redact(redactor, "मेरा कार्ड नंबर ४१११ ११११ ११११ ११११ है, आधार 2345 6789 0124, पैन ABCPE1234F, "
                           "फोन +91 98765 43210, ईमेल ravi.kumar@gmail.com", language="hi")
    assert out == ("मेरा कार्ड नंबर [ACCOUNTNUMBER_1] है, आधार [SSN_1], पैन [SSN_2], फोन [PHONENUMBER_1], "
                   "ईमेल [EMAIL_1]")
    assert redact(redactor, "मेरे दो बच्चे हैं", language="hi") == "मेरे दो बच्चे हैं"


@pytest.mark.slow
def test_language_tags_are_normalised(redactor):
    assert redact(redactor, "card 4111 1111 1111 1111", language="en-US") == "card [ACCOUNTNUMBER_1]"


# --- transcripts: words and utterances ----------------------------------------------------------


@pytest.mark.slow
def test_transcript_words_and_utterances(redactor):
    text = "Hi, my name is John Smith. My card is 4111 1111 1111 1111, CVV 123. Call John at 415 555 0134."
    words = timed(text)
    t = Transcript(text=text, words=list(words), language="en")
    t.utterances = split_utterances(words, 0.8, "en")
    redactor.redact_transcript(t, pii=True, pci=True, language="en")
    assert t.text == ("Hi, my name is [FIRSTNAME_1] [LASTNAME_1]. My card is [ACCOUNTNUMBER_1], CVV "
                      "[CREDITCARDCVV_1]. Call [FIRSTNAME_1] at [PHONENUMBER_1].")
    assert [w.word for w in t.words] == (
        "Hi, my name is [firstname_1] [lastname_1]. My card is [accountnumber_1], CVV [creditcardcvv_1]. "
        "Call [firstname_1] at [phonenumber_1].".split()
    )
    card = next(w for w in t.words if w.word.startswith("[accountnumber_1]"))
    card_words = words[9:13]  # "4111" … "1111,"
    assert card.start == card_words[0].start and card.end == card_words[-1].end
    assert card.confidence == min(w.confidence for w in card_words)
    assert (card.speaker, card.speaker_confidence) == (card_words[0].speaker, card_words[0].speaker_confidence)
    assert [u.text for u in t.utterances] == [
        "Hi, my name is [FIRSTNAME_1] [LASTNAME_1].",
        "My card is [ACCOUNTNUMBER_1], CVV [CREDITCARDCVV_1].",
        "Call [FIRSTNAME_1] at [PHONENUMBER_1].",
    ]
    assert t.redacted_entities == ["[FIRSTNAME_1]", "[LASTNAME_1]", "[ACCOUNTNUMBER_1]", "[CREDITCARDCVV_1]",
                                   "[PHONENUMBER_1]"]


@pytest.mark.slow
def test_spoken_card_becomes_one_word(redactor):
    text = "my card number is four one one one one one one one one one one one one one one one thanks"
    words = timed(text)
    t = Transcript(text=text, words=list(words), language="en")
    redactor.redact_transcript(t, pii=True, pci=True, language="en")
    assert [w.word for w in t.words] == ["my", "card", "number", "is", "[accountnumber_1]", "thanks"]
    assert t.words[4].start == words[4].start and t.words[4].end == words[19].end
    assert t.words[4].confidence == min(w.confidence for w in words[4:20])


@pytest.mark.slow
def test_words_that_do_not_spell_the_text(redactor):
    # Text from segments and words re-joined differently: words are redacted on their own text.
    t = Transcript(text="My name is John Smith.", words=timed("My name is John Smith ."), language="en")
    redactor.redact_transcript(t, pii=True, pci=True, language=None)
    assert t.text == "My name is [FIRSTNAME_1] [LASTNAME_1]."
    assert [w.word for w in t.words] == ["My", "name", "is", "[firstname_1]", "[lastname_1]", "."]


@pytest.mark.slow
def test_transcript_without_words_redacts_text_and_utterances(redactor):
    t = Transcript(
        text="Call me at 212-555-0187. My email is a.b@example.com.",
        utterances=[Utterance("Call me at 212-555-0187.", 0.0, 2.0), Utterance("My email is a.b@example.com.", 2.0, 4.0)],
        language="en",
    )
    book = TokenBook()
    redactor.redact_transcript(t, pii=True, pci=True, language="en", book=book)
    assert t.text == "Call me at [PHONENUMBER_1]. My email is [EMAIL_1]."
    assert [u.text for u in t.utterances] == ["Call me at [PHONENUMBER_1].", "My email is [EMAIL_1]."]
    assert t.redacted_entities == ["[PHONENUMBER_1]", "[EMAIL_1]"]


@pytest.mark.slow
def test_transcript_untouched_when_flags_off_or_language_unsupported(redactor):
    for kwargs in ({"pii": False, "pci": False, "language": "en"}, {"pii": True, "pci": True, "language": "es"}):
        t = Transcript(text="I'm John Smith", words=timed("I'm John Smith"), language="en")
        redactor.redact_transcript(t, **kwargs)
        assert t.text == "I'm John Smith" and t.redacted_entities == []


# --- safety: threads, network, logs ---------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_calls_match_sequential(redactor):
    texts = [row["text"] for row in load_corpus()[:40]]
    expected = [redact(redactor, x) for x in texts]
    results: dict[int, list[str]] = {}

    def worker(k: int) -> None:
        results[k] = [redact(redactor, x) for x in texts]

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(results[k] == expected for k in range(6))


@pytest.mark.slow
def test_no_network_during_load_or_email_checks(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("redaction tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    r = Redactor(RedactionConfig())
    assert redact(r, "Write to john.smith@gmail.com or a@b.co.uk") == "Write to [EMAIL_1] or [EMAIL_2]"


@pytest.mark.slow
def test_original_text_never_logged(redactor, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "My name is Quentin Zabriskie, card 4111 1111 1111 1111"
    redact(redactor, secret)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Zabriskie" not in logged and "4111" not in logged


def test_config_from_mapping():
    cfg = RedactionConfig.from_mapping({"score_threshold": 0.6, "languages": ["en"], "scores": {"cvv_cued": 0.8}})
    assert cfg.score_threshold == 0.6 and cfg.languages == ("en",) and cfg.scores.cvv_cued == 0.8
    with pytest.raises(ValueError, match="bogus"):
        RedactionConfig.from_mapping({"bogus": 1})
    with pytest.raises(ValueError, match="score_threshold"):
        RedactionConfig.from_mapping({"score_threshold": "high"})
    with pytest.raises(ValueError, match="card_luhn"):
        RedactionConfig.from_mapping({"scores": {"card_luhn": "sure"}})


def test_number_rules_name_existing_settings_and_facts():
    """Every name a rule of the table uses is a config field, a score or a fact the interpreter knows."""
    config, facts = RedactionConfig(), set(vars(NumberFacts)) | {"plus", "card_in_text"}
    for rule in NUMBER_RULES:
        for field in (rule.min_digits, rule.max_digits, rule.digit_counts):
            assert not field or isinstance(getattr(config, field), int | tuple), (rule.name, field)
        assert rule.entity in (LEAVE, POLICY) or isinstance(getattr(config.scores, rule.score), float), rule.name
        assert set(rule.requires) | set(rule.forbids) <= facts, rule.name
    assert len({rule.name for rule in NUMBER_RULES}) == len(NUMBER_RULES)


def test_carried_cue_governs_the_number_that_opens_the_next_final():
    """The cue a streaming final ended on ("… the security code is") is passed in, not held in global state."""
    numbers = NumberRecognizer(RedactionConfig())
    [fallback] = numbers.find("seven three one")
    [carried] = numbers.find("seven three one", carry=frozenset({"CVV"}))
    assert (fallback.entity_type, fallback.score) == ("ACCOUNTNUMBER", RedactionConfig().scores.fallback)
    assert (carried.entity_type, carried.score) == ("CREDITCARDCVV", RedactionConfig().scores.cvv_cued)


def test_number_rule_digit_counts_follow_the_config():
    text = "my pin is 1234567"
    assert [r.entity_type for r in NumberRecognizer(RedactionConfig()).find(text)] == ["ACCOUNTNUMBER"]
    [pin] = NumberRecognizer(RedactionConfig(pin_max_digits=7)).find(text)
    assert (pin.entity_type, pin.score) == ("CREDITCARDCVV", RedactionConfig().scores.pin)


@pytest.mark.slow
def test_number_rule_scores_follow_the_config(redactor):
    """A score changed in the config changes the detection's score (nothing is hard-coded in the rules)."""
    text = "the cvv is 123"
    default = redactor.analyze(text, pii=True, pci=True, language="en")
    assert [(s.entity, s.score) for s in default] == [("CREDITCARDCVV", RedactionConfig().scores.cvv_cued)]
    lowered = Redactor(RedactionConfig(scores={"cvv_cued": 0.4}))  # below the 0.5 threshold
    assert lowered.analyze(text, pii=True, pci=True, language="en") == []


# --- corpus ---------------------------------------------------------------------------------------


def load_corpus() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def test_corpus_is_well_formed():
    rows = load_corpus()
    assert len(rows) >= 200
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        for e in row["entities"]:
            assert row["text"][e["start"] : e["end"]] == e["text"], row["id"]


@pytest.mark.slow
def test_corpus_meets_targets(redactor):
    sys.path.insert(0, str(ROOT / "scripts"))
    import eval_redaction

    tallies, _ = eval_redaction.evaluate(redactor, load_corpus())
    overall = tallies["all"]
    assert overall.leaked == 0
    assert overall.overall_precision() >= eval_redaction.PRECISION_TARGET
    for entity, target in eval_redaction.TARGETS.items():
        assert overall.recall(entity) >= target, entity
