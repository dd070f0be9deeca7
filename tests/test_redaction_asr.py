"""Redaction of payment data as Whisper actually writes it: misheard cues and digits, the PCI fallback."""

from __future__ import annotations

import pytest

from models.redaction import TokenBook
from models.redaction.cues import canonical, cue_ending_at, edit_distance
from models.redaction.numbers import number_runs
from models.text.words import split_text
from tests.support.redaction import redact

# --- how Whisper mangles spoken payment data (issue 5 follow-up) ---------------------------------


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("C-B-B-6-04", "604"),  # dashed digit groups
        ("4-1-1-1", "4111"),
        ("4263-I-8264-026", "42638264026"),  # a misheard digit written as a letter inside a dashed chain
        ("fine fine fine 4444", "5554444"),  # sound-alike digit words
        ("Nero, Nero, Nero, 5", "0005"),
        ("time time time 44444", "99944444"),  # a row of homophones is a number, not prose
        ("1876, I'm 43210", "1876943210"),
    ],
)
def test_number_runs_read_asr_mishearings(text, digits):
    runs = number_runs(text)
    assert [r.digits for r in runs] == [digits]


@pytest.mark.parametrize(
    "text", ["I'm fine, thanks, I have 2 kids.", "It's time to go, see you at 9th street", "9th, twenty twenty"]
)
def test_mishearing_rules_need_digits_beside_them(text):
    assert all(len(r.digits) <= 4 for r in number_runs(text))
    assert not any(r.digits.startswith("5") or r.digits.startswith("92") for r in number_runs(text))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("C-B-B", "CVV"), ("C.V.V.", "CVV"), ("c v v", "CVV"), ("see vee vee", "CVV"), ("the CVB", "CVV"),
        ("cb-b", "CVV"), ("S-S-N", "SSN"), ("Marification code", "CVV"), ("Exploration", "EXPIRY"),
        ("a count number", "ACCOUNT"), ("cart number", "CARD"), ("my BIN", "PIN"),
    ],
)
def test_fuzzy_cues(text, kind):
    toks = split_text(text)
    assert cue_ending_at(toks, len(toks) - 1 if toks[-1].text != "." else len(toks) - 2)[0] == kind


@pytest.mark.parametrize("text", ["I see a bee", "see be a friend", "a b", "accent", "Operation"])
def test_fuzzy_cues_stay_specific(text):
    toks = split_text(text)
    assert all(cue_ending_at(toks, p) is None for p in range(len(toks)))


def test_fuzzy_word_match():
    assert canonical("marification") == "verification" and canonical("exploration") == "expiration"
    assert canonical("accent") == "accent" and canonical("card") == "card"
    assert edit_distance("kitten", "sitting", 9) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C-B-B-6-04", "C-B-B-[CREDITCARDCVV_1]"),
        ("c v v six oh four", "c v v [CREDITCARDCVV_1]"),
        ("The card is 4242424242424242 and see me behind 1-8", "The card is [ACCOUNTNUMBER_1] and see me behind "
         "[CREDITCARDCVV_1]"),
        # PCI fallback: long or read-out numbers whose cue ASR lost
        ("My man can count as high as 8776554.", "My man can count as high as [ACCOUNTNUMBER_1]."),
        ("What's up, 1, 2, 3, 2, 1, 0", "What's up, [ACCOUNTNUMBER_1]"),
        ("The car van being in Nero Nero Nero 5 belongs to me", "The car van being in [ACCOUNTNUMBER_1] belongs to me"),
        ("My L is 212.5.5.018.7.", "My L is [ACCOUNTNUMBER_1]."),
        ("My number is 555-0134", "My number is [PHONENUMBER_1]"),
        ("The card number is fine fine fine fine fine fine 4444", "The card number is [ACCOUNTNUMBER_1]"),
        ("the card is 426, pre-I-826, 4026", "the card is [ACCOUNTNUMBER_1], pre-I-[ACCOUNTNUMBER_2]"),
        ("Yes, the Visa Rending Wint 2454.", "Yes, the Visa Rending Wint [ACCOUNTNUMBER_1]."),
        ("valid from 08-2-9-cb-b-1-1-4", "valid from [ACCOUNTNUMBER_1]"),
        ("and the CV on the Mac is 773.", "and the CV on the Mac is [CREDITCARDCVV_1]."),
        ("Three digits code on the Mac, three-nine zero.", "Three digits code on the Mac, [CREDITCARDCVV_1]."),
        ("Malid through 0-8-2-9. See me 1-1-4.", "Malid through [ACCOUNTNUMBER_1]. See me [CREDITCARDCVV_1]."),
        ("My numbers, plus 4, 4, 7, 7, double-low, 9, double-low, 1, 2, 3.", "My numbers, [PHONENUMBER_1]."),
        ("TheDumbamon is down $5,5,5,5,5,5,7,5,5", "TheDumbamon is down $[ACCOUNTNUMBER_1]"),
        ("Let's see, we made it five, eight, two.", "Let's see, we made it [ACCOUNTNUMBER_1]."),
        ("the ratio 11-26", "the ratio [ACCOUNTNUMBER_1]"),  # a dashed code
        ("Number 35", "Number [ACCOUNTNUMBER_1]"),
        ("My man can count his height at 776 554.", "My man can count his height at [ACCOUNTNUMBER_1]."),
        ("My bank account is i8776554", "My bank account is i[ACCOUNTNUMBER_1]"),
        ("see me me sick so far.", "see me [CREDITCARDCVV_1]."),  # worded value after a spelled CVV cue
        ("See me music so far.", "See me [CREDITCARDCVV_1]."),
        ("Card, fine, fine, fine, fine, 44444, and the back says 80-6",
         "Card, [ACCOUNTNUMBER_1], and the back says [CREDITCARDCVV_1]"),
        ("Sure, Tom Becker, one 4-acre new drive, Madison", "Sure, [FIRSTNAME_1] [LASTNAME_1], [BUILDINGNUMBER_1]-"
         "[ADDRESS_1]"),
        # fixes prompted by the held-out audio run (see docs/benchmarks.md, redaction_audio)
        ("Best number to reach me is I-175-550104x22", "Best number to reach me is I-[PHONENUMBER_1]x22"),
        ("It's a Mesa 40128888881.", "It's a Mesa [ACCOUNTNUMBER_1]."),
        ("The model is plus 1, 6, 4, 6, 5, 5, 0, 1, 9, 9", "The model is [PHONENUMBER_1]"),
        ("$4111111111111111111 11 block", "$[ACCOUNTNUMBER_1] block"),
        ("a visa double-eight double-eight 8 1 8 8 1 0 0", "a visa [ACCOUNTNUMBER_1]"),
    ],
)
@pytest.mark.slow
def test_asr_mangled_payment_data(redactor, text, expected):
    assert redact(redactor, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order number 12345678",
        "The tracking number is 1 2 3 4 5 6 7 8.",
        "I counted 1,250,000 votes.",
        "The population is about 8,776,554.",
        "It costs $1,234,567.",
        "We sold 2,500,000 units last year.",
        "The meeting is ending at 1130.",
        "I have two kids.",
        "I'm fine, thanks, I have 2 kids.",
        "Step 1, 2, 3 and done.",
        "Count to five: one, two, three, four, five.",
        "We won 3 to 2 last night.",
        "My account has been open since 2015.",
        "Come see me at 5.",
        "come see me to talk",
        "Where do I find the CVV on my card?",
        "I drive an F150 truck.",
        "We bought a 2-lane road.",
        "we have 4 4 double trouble",
        "It was built between 1990-2000.",
    ],
)
@pytest.mark.slow
def test_pci_fallback_leaves_quantities(redactor, text):
    assert redact(redactor, text) == text


@pytest.mark.slow
def test_pci_fallback_is_pci_only(redactor):
    text = "My man can count as high as 8776554."
    assert redact(redactor, text, pii=True, pci=False) == text


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("My man can count his height at 776, 554.", "776"),  # read-out groups split by a pause comma
        ("My manga count is I-I-8776, I-I-4.", "8776"),  # letters glued on by dashes before a code
    ],
)
@pytest.mark.slow
def test_pci_catches_pause_grouped_and_letter_glued_codes(redactor, text: str, leaked: str) -> None:
    out, tokens = redactor.redact_text(text, pii=True, pci=True, language="en", book=TokenBook())
    assert leaked not in out and tokens == ["[ACCOUNTNUMBER_1]"]


@pytest.mark.slow
def test_thousands_commas_stay_amounts(redactor) -> None:
    for text in ("We counted 1,250,000 votes.", "The score was 3, 2."):
        assert redactor.redact_text(text, pii=True, pci=True, language="en", book=TokenBook())[0] == text
