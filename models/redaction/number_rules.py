"""The number classifier as data: an ordered rule table, the facts it reads, and its interpreter.

`NUMBER_RULES` is read top to bottom for each number run; the first rule whose conditions hold
decides what the number is (an entity type with a score), that it is not personal data (`LEAVE`),
or that the PCI fallback of policy.py decides (`POLICY`). A rule names its conditions: the cue
kind before or after the number, its digit count (config fields), and facts (`NumberFacts`
properties) that must or must not hold. Scores and digit counts are fields of `RedactionConfig`,
so no threshold is written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from stdnum import verhoeff

from models.redaction.config import NumberScores, RedactionConfig
from models.redaction.cues import Cue, cues_after, cues_before
from models.redaction.lexicon import (
    AMBIGUOUS_MONTHS,
    MONTHS,
    STATE_ABBREVIATIONS,
    STRONG_CUES,
    UNIT_WORDS,
    US_STATES,
    WORDLIKE_STATES,
)
from models.redaction.numbers import NumberRun, luhn_window
from models.redaction.policy import dictated, uncued_number
from models.text.words import TextToken

LEAVE = "LEAVE"  # the number is not personal data: nothing is redacted
POLICY = "POLICY"  # the PCI fallback (policy.uncued_number) decides
NO_CUE = "NONE"  # the cue kind of a number no cue explains

_PHONE_SHAPE = re.compile(r"^(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}$")
_SSN_SHAPE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_CURRENCY = frozenset({"$", "£", "€", "₹", "¥", "rs", "rs.", "inr", "usd"})
_TIME_PREPS = frozenset({"at", "on", "by", "around", "before", "after", "about"})
_YEAR_PREPS = frozenset({"in", "since", "from", "of", "by", "until", "till", "before", "after", "around"})
_YEAR_CENTURIES = ("19", "20")
# Words that may open a text before a number that a cue carried over from the previous final governs.
_OPENERS = frozenset({"and", "uh", "um"})
# Cue kinds a streaming session carries over, in the order one is picked when several are open.
CARRIED_KINDS = ("CARD", "CVV", "EXPIRY", "ACCOUNT", "PHONE", "SSN", "ZIP")


@dataclass(frozen=True)
class NumberRule:
    """One row of the table. Empty conditions always hold; names refer to config fields and facts."""

    name: str
    entity: str  # an entity type, LEAVE or POLICY
    score: str = ""  # a `NumberScores` field (entity types only)
    cues: frozenset[str] = frozenset()  # the cue kind must be one of these (NO_CUE: none)
    unless_cues: frozenset[str] = frozenset()  # …and not one of these
    min_digits: str = ""  # `RedactionConfig` int fields bounding the digit count
    max_digits: str = ""
    digit_counts: str = ""  # a `RedactionConfig` tuple field listing the accepted digit counts
    requires: tuple[str, ...] = ()  # `NumberFacts` properties that must be true
    forbids: tuple[str, ...] = ()  # …and ones that must be false
    # A weak reading: what follows a card number (its CVV) or continues a detected number overrides it.
    guess: bool = False


@dataclass(frozen=True)
class NumberReading:
    """What the table decided a number run is."""

    entity: str
    score: float
    guess: bool


def state_before(toks: Sequence[TextToken], i: int) -> bool:
    """Does a US state name or (upper-case) abbreviation end just before token `i`?"""
    p = i - 1
    while p >= 0 and toks[p].text == ",":
        p -= 1
    if p < 0:
        return False
    if toks[p].lower in STATE_ABBREVIATIONS and len(toks[p].text) == 2:
        if toks[p].text.isupper() or toks[p].lower not in WORDLIKE_STATES:
            return True
    for width in (3, 2, 1):
        a = p - width + 1
        if a >= 0 and " ".join(t.lower for t in toks[a : p + 1]) in US_STATES:
            return True
    return False


class NumberFacts:
    """What the rules may ask about one number run: its cue, shape and neighbours (computed on demand)."""

    def __init__(
        self,
        config: RedactionConfig,
        text: str,
        toks: Sequence[TextToken],
        run: NumberRun,
        prev_end: int,
        card_in_text: bool,
        carry: frozenset[str],
    ) -> None:
        self.config = config
        self.text = text
        self.toks = toks
        self.run = run
        self.digits = run.digits
        self.count = len(run.digits)
        self._card_in_text = card_in_text
        self.carry = carry
        self.raw = text[run.start : run.end]
        self.before = cues_before(toks, run.first, config.cue_window, stop=prev_end)
        self.next_word = toks[run.last + 1].lower if run.last + 1 < len(toks) else ""
        self.previous_word = toks[run.first - 1].lower if run.first > 0 else ""

    @property
    def plus(self) -> bool:
        """An international "+"/"plus" before the digits."""
        return self.run.plus

    @property
    def card_in_text(self) -> bool:
        """A card, CVV or expiry cue anywhere in the text, a card number before this one, or a carried card cue."""
        return self._card_in_text

    # -- the cue ------------------------------------------------------------------------------

    @cached_property
    def cue_before(self) -> Cue | None:
        return next((c for c in self.before if c.kind != "NUMBER"), None)

    @cached_property
    def cue(self) -> Cue | None:
        """The nearest specific cue before the number, else after it ("… is my card number")."""
        if self.cue_before is not None:
            return self.cue_before
        after = cues_after(self.toks, self.run.last + 1, self.config.cue_lookahead)
        return next((c for c in after if c.kind != "NUMBER"), None)

    @cached_property
    def carried_kind(self) -> str | None:
        """A cue kind the previous final ended on ("… card number is"), when this run opens the text."""
        if self.cue is not None or not self.carry:
            return None
        if not all(not t.is_word or t.lower in _OPENERS for t in self.toks[: self.run.first]):
            return None
        return next((kind for kind in CARRIED_KINDS if kind in self.carry), None)

    @cached_property
    def kind(self) -> str:
        if self.cue is not None:
            return self.cue.kind
        return self.carried_kind or NO_CUE

    @cached_property
    def near(self) -> bool:
        if self.carried_kind is not None:
            return True
        return self.cue is not None and self.cue.distance <= self.config.near_cue_window

    @cached_property
    def generic_number(self) -> bool:
        """A bare "number"/"no."/"#" cue before it."""
        return any(c.kind == "NUMBER" for c in self.before)

    @cached_property
    def number_cue_adjacent(self) -> bool:
        return any(c.kind == "NUMBER" and c.distance <= 1 for c in self.before)

    @cached_property
    def tail_is_time(self) -> bool:
        """The cue is followed by a time preposition ("ending at 1130")."""
        cue = self.cue
        return cue is not None and cue.last + 1 < len(self.toks) and self.toks[cue.last + 1].lower in _TIME_PREPS

    @cached_property
    def state_before(self) -> bool:
        return self.cue_before is None and state_before(self.toks, self.run.first)

    # -- shape and neighbours -----------------------------------------------------------------

    @cached_property
    def quantity(self) -> bool:
        """An amount or measure: a unit word after it, or a currency sign before a short number."""
        toks, last = self.toks, self.run.last
        # "550104x22" is an extension, not a dimension.
        extension = self.next_word == "x" and last + 2 < len(toks) and toks[last + 2].is_digits
        unit_after = self.next_word in UNIT_WORDS and not extension
        currency_before = self.previous_word in _CURRENCY and self.count < self.config.card_min_digits
        return (unit_after or currency_before) and not dictated(self.run, self.config.dictated_min_chunks)

    @cached_property
    def beside_month(self) -> bool:
        return any(w in MONTHS and w not in AMBIGUOUS_MONTHS for w in (self.next_word, self.previous_word))

    @cached_property
    def luhn(self) -> bool:
        return luhn_window(self.run, self.config.card_min_digits, self.config.card_max_digits) is not None

    @cached_property
    def international_phone(self) -> bool:
        return self.plus and self.kind == "PHONE"

    @cached_property
    def year_digits(self) -> bool:
        return self.count == 4 and self.digits[:2] in _YEAR_CENTURIES

    @cached_property
    def year_like(self) -> bool:
        """A year after "in"/"since"/… ("open since 2015")."""
        return self.year_digits and self.previous_word in _YEAR_PREPS

    @cached_property
    def ssn_shape(self) -> bool:
        return bool(_SSN_SHAPE.match(self.raw))

    @cached_property
    def phone_shape(self) -> bool:
        return bool(_PHONE_SHAPE.match(self.raw))

    @cached_property
    def aadhaar(self) -> bool:
        return self.digits[0] in "23456789" and verhoeff.is_valid(self.digits)

    @cached_property
    def longer_than_phone(self) -> bool:
        return self.count > max(self.config.phone_digits_uncued)

    @cached_property
    def odd_length_phone(self) -> bool:
        """As long as a phone number with a country code, but not 1/0-prefixed or written like one."""
        return (self.count == self.config.country_code_phone_digits and self.digits[0] not in "10"
                and not self.phone_shape)


class _CheckedNames:
    """`CONFIG.pin_min_digits` is the string "pin_min_digits", checked to name a field (or fact): the
    table names what it reads this way, so a misspelt name fails at import."""

    def __init__(self, owner: str, names: Iterable[str]) -> None:
        self._owner = owner
        self._names = frozenset(names)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(f"{self._owner} has no {name!r}")
        return name


CONFIG = _CheckedNames("RedactionConfig", RedactionConfig.model_fields)
SCORE = _CheckedNames("NumberScores", NumberScores.model_fields)
FACT = _CheckedNames("NumberFacts", (n for n in dir(NumberFacts) if not n.startswith("_")))


def _kinds(*names: str) -> frozenset[str]:
    return frozenset(names)


PHONE_OR_NONE = _kinds(NO_CUE, "PHONE")

NUMBER_RULES: tuple[NumberRule, ...] = (
    NumberRule("zip_after_state", "ZIPCODE", SCORE.zip_after_state,  # "Madison, Wisconsin 53703"
               digit_counts=CONFIG.zip_after_state_digits, requires=(FACT.state_before,)),
    # Amounts and measures ("$5", "12 kids") unless a strong cue claims them; nobody reads an
    # amount out digit by digit, so a dictated run is never a quantity.
    NumberRule("quantity", LEAVE, unless_cues=STRONG_CUES, requires=(FACT.quantity,)),
    # "see me on 12 June": the day of a date, left to the date recognizer.
    NumberRule("date_day", LEAVE, unless_cues=_kinds("EXPIRY", "BIRTH", "CARD", "ACCOUNT"),
               max_digits=CONFIG.date_day_max_digits, requires=(FACT.beside_month,)),
    NumberRule("card_luhn", "ACCOUNTNUMBER", SCORE.card_luhn,
               min_digits=CONFIG.card_min_digits, requires=(FACT.luhn,), forbids=(FACT.international_phone,)),
    NumberRule("cvv_cued", "CREDITCARDCVV", SCORE.cvv_cued, _kinds("CVV"),
               min_digits=CONFIG.cvv_min_digits, max_digits=CONFIG.cvv_max_digits),
    # A code read out is a secret, card or not.
    NumberRule("code_cvv", "CREDITCARDCVV", SCORE.code_cvv, _kinds("CODE"),
               min_digits=CONFIG.code_min_digits, max_digits=CONFIG.code_max_digits, requires=(FACT.near,)),
    NumberRule("code_cvv_after_card", "CREDITCARDCVV", SCORE.code_cvv, _kinds("CODE"),
               min_digits=CONFIG.cvv_min_digits, max_digits=CONFIG.cvv_max_digits,
               requires=(FACT.near, FACT.card_in_text)),
    NumberRule("code_account", "ACCOUNTNUMBER", SCORE.code_account, _kinds("CODE"),
               min_digits=CONFIG.code_account_min_digits, max_digits=CONFIG.code_account_max_digits,
               requires=(FACT.near,)),
    NumberRule("pin", "CREDITCARDCVV", SCORE.pin, _kinds("PIN"),
               min_digits=CONFIG.pin_min_digits, max_digits=CONFIG.pin_max_digits),
    NumberRule("expiry", "CARDEXPIRY", SCORE.expiry, _kinds("EXPIRY"),
               min_digits=CONFIG.expiry_min_digits, max_digits=CONFIG.expiry_max_digits),
    NumberRule("card_tail", "ACCOUNTNUMBER", SCORE.card_tail, _kinds("CARD_TAIL"),  # "ending in 4242"
               min_digits=CONFIG.card_tail_min_digits, max_digits=CONFIG.card_tail_max_digits,
               forbids=(FACT.tail_is_time,)),  # not "ending at 1130"
    NumberRule("ssn_cued", "SSN", SCORE.ssn_cued, _kinds("SSN"), digit_counts=CONFIG.ssn_digits),
    NumberRule("zip_cued", "ZIPCODE", SCORE.zip_cued, _kinds("ZIP"), digit_counts=CONFIG.zip_digits),
    NumberRule("birth_date", "DATE", SCORE.birth_date, _kinds("BIRTH"),
               min_digits=CONFIG.birth_min_digits, max_digits=CONFIG.birth_max_digits, forbids=(FACT.year_digits,)),
    NumberRule("account_cued", "ACCOUNTNUMBER", SCORE.account_cued, _kinds("ACCOUNT"),
               min_digits=CONFIG.account_min_digits, max_digits=CONFIG.account_max_digits,
               forbids=(FACT.year_like,)),  # not "open since 2015"
    NumberRule("card_cued", "ACCOUNTNUMBER", SCORE.card_cued, _kinds("CARD"), min_digits=CONFIG.card_cued_min_digits),
    # "The card number is 41": ASR dropped the rest.
    NumberRule("card_fragment", "ACCOUNTNUMBER", SCORE.card_cued, _kinds("CARD"),
               min_digits=CONFIG.card_fragment_min_digits, requires=(FACT.near,), forbids=(FACT.year_like,)),
    # A "+" outweighs a misheard cue ("model" for mobile).
    NumberRule("phone_international", "PHONENUMBER", SCORE.phone_international,
               min_digits=CONFIG.international_min_digits, max_digits=CONFIG.phone_max_digits,
               requires=(FACT.plus,)),
    NumberRule("ssn_shape", "SSN", SCORE.ssn_shape, unless_cues=_kinds("PHONE", "ACCOUNT", "NEGATIVE"),
               requires=(FACT.ssn_shape,)),
    NumberRule("negative_cue", LEAVE, cues=_kinds("NEGATIVE", "NATIONAL_ID")),  # "order 55512", "Aadhaar …"
    # An Aadhaar number: a national ID (left to its recognizer), not a payment number.
    NumberRule("aadhaar", LEAVE, digit_counts=CONFIG.aadhaar_digits, requires=(FACT.aadhaar,)),
    NumberRule("long_number", "ACCOUNTNUMBER", SCORE.long_number, min_digits=CONFIG.long_number_digits,
               requires=(FACT.longer_than_phone,), forbids=(FACT.plus,)),
    NumberRule("phone_cued", "PHONENUMBER", SCORE.phone_cued, _kinds("PHONE"),
               min_digits=CONFIG.phone_min_digits_cued, max_digits=CONFIG.phone_max_digits),
    # 11 digits that are not a 1/0-prefixed phone number: a phone number after "number", else
    # perhaps a card missing digits.
    NumberRule("phone_odd_length_numbered", "PHONENUMBER", SCORE.phone_odd_length, PHONE_OR_NONE,
               digit_counts=CONFIG.phone_digits_uncued, requires=(FACT.odd_length_phone, FACT.generic_number)),
    NumberRule("phone_odd_length", POLICY, cues=PHONE_OR_NONE,
               digit_counts=CONFIG.phone_digits_uncued, requires=(FACT.odd_length_phone,)),
    NumberRule("phone_numbered", "PHONENUMBER", SCORE.phone_shaped, PHONE_OR_NONE,
               digit_counts=CONFIG.phone_digits_uncued, requires=(FACT.generic_number,)),
    NumberRule("phone_shaped", "PHONENUMBER", SCORE.phone_shaped, PHONE_OR_NONE,
               digit_counts=CONFIG.phone_digits_uncued, requires=(FACT.phone_shape,)),
    NumberRule("phone_bare", "PHONENUMBER", SCORE.phone_bare, PHONE_OR_NONE, digit_counts=CONFIG.phone_digits_uncued),
    NumberRule("phone_after_number", "PHONENUMBER", SCORE.phone_numbered, _kinds(NO_CUE),
               min_digits=CONFIG.phone_min_digits_cued, max_digits=CONFIG.phone_max_digits,
               requires=(FACT.generic_number,)),
    # "Number 35", "number is 41": what ASR left of one.
    NumberRule("numbered_fragment", "ACCOUNTNUMBER", SCORE.fallback, _kinds(NO_CUE),
               min_digits=CONFIG.numbered_fragment_min_digits, max_digits=CONFIG.numbered_fragment_max_digits,
               requires=(FACT.number_cue_adjacent,), guess=True),
    NumberRule("pci_fallback", POLICY),
)


def rule_holds(rule: NumberRule, facts: NumberFacts) -> bool:
    """Do all of `rule`'s conditions hold for this number?"""
    config, count = facts.config, facts.count
    if rule.min_digits and count < getattr(config, rule.min_digits):
        return False
    if rule.max_digits and count > getattr(config, rule.max_digits):
        return False
    if rule.digit_counts and count not in getattr(config, rule.digit_counts):
        return False
    if rule.cues and facts.kind not in rule.cues:
        return False
    if rule.unless_cues and facts.kind in rule.unless_cues:
        return False
    return all(getattr(facts, f) for f in rule.requires) and not any(getattr(facts, f) for f in rule.forbids)


def classify(facts: NumberFacts) -> NumberReading | None:
    """The reading of the first rule that holds, or None when the number is left alone."""
    for rule in NUMBER_RULES:
        if not rule_holds(rule, facts):
            continue
        if rule.entity == LEAVE:
            return None
        if rule.entity == POLICY:
            entity = uncued_number(facts.text, facts.toks, facts.run, facts.config)
            if entity is None:
                return None
            return NumberReading(entity, facts.config.scores.fallback, guess=True)
        return NumberReading(rule.entity, getattr(facts.config.scores, rule.score), rule.guess)
    return None
