"""Presidio recognizer for the numbers in ASR transcripts, in digits or words; shared recognizer helpers.

`NumberRecognizer` reads every number run (see `numbers.py`) and decides, from its digits, Luhn,
its written shape and the nearest context cue, whether it is a card/account number, CVV, card
expiry, PIN, ZIP code, phone number, SSN or date of birth — or nothing (order numbers, amounts,
"two kids"). Each result carries the value normalised (digits only) in
`recognition_metadata["normalized"]`, so the same number spoken or written gets the same token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from models.redaction.config import RedactionConfig
from models.redaction.cues import Cue, cue_ending_at, cues_after, cues_before, spelled_ending_at
from models.redaction.lexicon import (
    AMBIGUOUS_MONTHS,
    MONTHS,
    STATE_ABBREVIATIONS,
    STRONG_CUES,
    UNIT_WORDS,
    US_STATES,
)
from models.redaction.numbers import (
    NumberRun,
    Tok,
    luhn_window,
    number_runs,
    tokenize,
)
from models.redaction.policy import dictated, fragment_before, uncued_number, worded_value_after_cue

NORMALIZED = "normalized"

# Cue kinds carried over from the end of the previous final of a streaming session, so "my card
# number is" in one final still governs digits that arrive in the next.
CARRY: ContextVar[frozenset[str]] = ContextVar("redaction_carry", default=frozenset())

_PHONE_SHAPE = re.compile(r"^(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}$")
_SSN_SHAPE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_CURRENCY = frozenset({"$", "£", "€", "₹", "¥", "rs", "rs.", "inr", "usd"})
_CVV_WORD = re.compile(r"^(?:c[vb][a-z2]|cvv2|cvc2)$")  # one-token CVV cues that are not everyday words
_CVV_PHRASES = frozenset({"security code", "verification code", "verification number", "security number"})
FALLBACK_SCORE = 0.55  # a number redacted by the PCI fallback alone (above the 0.5 threshold)
_TIME_PREPS = frozenset({"at", "on", "by", "around", "before", "after", "about"})
_YEAR_PREPS = frozenset({"in", "since", "from", "of", "by", "until", "till", "before", "after", "around"})


def make_result(entity: str, start: int, end: int, score: float, normalized: str, name: str) -> RecognizerResult:
    return RecognizerResult(
        entity,
        start,
        end,
        score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: name,
            NORMALIZED: normalized,
        },
    )


class TranscriptRecognizer(EntityRecognizer):
    """Base for our recognizers: no context enhancement (they weigh context themselves)."""

    ENTITIES: tuple[str, ...] = ()

    def __init__(self, config: RedactionConfig, language: str = "en") -> None:
        self.config = config
        super().__init__(
            supported_entities=list(self.ENTITIES),
            name=f"{type(self).__name__}_{language}",
            supported_language=language,
            context=[],
        )

    def load(self) -> None:  # nothing to load: word lists are module constants
        return None


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_ok(digits: str) -> bool:
    """Verhoeff checksum (Aadhaar numbers carry one)."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][ord(ch) - 48]]
    return c == 0


# Two-letter state codes that are also everyday lower-case words; only upper case counts for them.
WORDLIKE_STATES = frozenset({"in", "me", "or", "oh", "ok", "hi", "id", "de", "la", "al", "pa", "ma", "mo", "ne",
                              "co", "wa", "ga", "va", "ms", "md", "mt", "ct", "sc", "nd", "ar", "ia"})


def _state_before(toks: Sequence[Tok], i: int) -> bool:
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


class NumberRecognizer(TranscriptRecognizer):
    """Card/account numbers, CVV, expiry, PIN, ZIP, phone, SSN and birth dates from number runs."""

    ENTITIES = ("ACCOUNTNUMBER", "CREDITCARDCVV", "CARDEXPIRY", "ZIPCODE", "PHONENUMBER", "SSN", "DATE")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return self.find(text, CARRY.get())

    def find(self, text: str, carry: frozenset[str] = frozenset()) -> list[RecognizerResult]:
        toks = tokenize(text)
        runs = number_runs(text)
        card_in_text = any(
            (hit := cue_ending_at(toks, p)) is not None and hit[0] in ("CARD", "CVV", "EXPIRY")
            for p in range(len(toks))
        ) or "CARD" in carry
        card_cued = card_in_text
        out: list[RecognizerResult] = []
        prev_end = -1
        card_end = -1  # last token of the latest card number in this text
        missed: NumberRun | None = None  # the previous run, when nothing was found in it
        for run in runs:
            found = self._classify(text, toks, run, prev_end, card_in_text, carry)
            cvv_digits = self.config.cvv_after_card_min_digits <= len(run.digits) <= self.config.cvv_after_card_max_digits
            # The PCI fallback (policy.py) only decides when nothing more specific does.
            guess = found is None or found[1] == FALLBACK_SCORE
            if guess and card_end >= 0 and cvv_digits:
                found = self._cvv_after_card(toks, run, card_end) or found
            if (found is None or found[1] == FALLBACK_SCORE) and out:
                found = self._continuation(toks, run, prev_end, out[-1]) or found
            prev_end = run.last
            if found is not None:
                entity, score, start, end = found
                if missed is not None and entity in ("PHONENUMBER", "ACCOUNTNUMBER"):
                    if fragment_before(toks, missed, run, self.config.near_cue_window):
                        out.append(make_result(entity, missed.start, missed.end, 0.6, missed.digits, self.name))
                out.append(make_result(entity, start, end, score, run.digits, self.name))
                if entity == "ACCOUNTNUMBER":
                    card_in_text = True
                    # a card number, maybe missing digits: what follows it may be its CVV
                    if len(run.digits) >= self.config.long_number_digits or (
                        card_cued and len(run.digits) >= self.config.uncued_account_digits
                    ):
                        card_end = run.last
            missed = run if found is None else None
        out.extend(self._month_expiries(toks, runs))
        out.extend(self._worded_cvvs(toks, runs))
        return out

    def _worded_cvvs(self, toks: Sequence[Tok], runs: Sequence[NumberRun]) -> list[RecognizerResult]:
        """A spelled CVV cue ("CVV", "C-B-B", "see me me") with no number after it in its clause: the words
        after it are the value, misheard ("sick so far")."""
        out: list[RecognizerResult] = []
        starts = {r.first for r in runs}
        for p in range(len(toks)):
            hit = cue_ending_at(toks, p)
            if hit is None or hit[0] != "CVV":
                continue
            spelled = spelled_ending_at(toks, p)
            strong = _CVV_WORD.match(toks[p].lower) or (spelled is not None and len(spelled[0]) >= 3)
            opens = all(not t.is_word for t in toks[: hit[1]])  # "See me music so far." as a whole answer
            if not (strong or opens or " ".join(t.lower for t in toks[hit[1] : p + 1]) in _CVV_PHRASES):
                continue  # "come see me", "my CV": too common to take the words after them
            found = worded_value_after_cue(toks, p, self.config.cvv_words_after_cue)
            if found is not None and not any(found[0] <= k <= found[1] + 1 for k in starts):
                a, b = found
                out.append(make_result("CREDITCARDCVV", toks[a].start, toks[b].end, 0.6,
                                       " ".join(t.lower for t in toks[a : b + 1]), self.name))
        return out

    def _classify(
        self,
        text: str,
        toks: Sequence[Tok],
        run: NumberRun,
        prev_end: int,
        card_in_text: bool,
        carry: frozenset[str],
    ) -> tuple[str, float, int, int] | None:
        cfg = self.config
        digits = run.digits
        n = len(digits)
        start, end = run.start, run.end
        before = cues_before(toks, run.first, cfg.cue_window, stop=prev_end)
        specific = [c for c in before if c.kind != "NUMBER"]
        cue: Cue | None = specific[0] if specific else None
        if cue is None and n in (5, 9) and _state_before(toks, run.first):
            return "ZIPCODE", 0.85, start, end  # "Madison, Wisconsin 53703"
        if cue is None:
            after = [c for c in cues_after(toks, run.last + 1, cfg.cue_lookahead) if c.kind != "NUMBER"]
            cue = after[0] if after else None
        kind = cue.kind if cue else None
        near = cue is not None and cue.distance <= cfg.near_cue_window
        if kind is None and carry and all(not t.is_word or t.lower in ("and", "uh", "um") for t in toks[: run.first]):
            # The run opens this text and the previous final ended on a cue ("… card number is").
            for carried in ("CARD", "CVV", "EXPIRY", "ACCOUNT", "PHONE", "SSN", "ZIP"):
                if carried in carry:
                    kind, near = carried, True
                    break
        generic_number = any(c.kind == "NUMBER" for c in before)
        nxt = toks[run.last + 1].lower if run.last + 1 < len(toks) else ""
        prv = toks[run.first - 1].lower if run.first > 0 else ""
        # Nobody reads an amount out digit by digit: "$5,5,5,5,5" is a misheard card number.
        # …nor has an amount 13 digits, and "550104x22" is an extension, not a dimension.
        extension = nxt == "x" and run.last + 2 < len(toks) and toks[run.last + 2].is_digits
        quantity = ((nxt in UNIT_WORDS and not extension) or (prv in _CURRENCY and n < cfg.card_min_digits)) and not (
            dictated(run, cfg.dictated_min_chunks))
        if quantity and kind not in STRONG_CUES:
            return None
        dated = (nxt in MONTHS and nxt not in AMBIGUOUS_MONTHS) or (prv in MONTHS and prv not in AMBIGUOUS_MONTHS)
        if dated and n <= 4 and kind not in ("EXPIRY", "BIRTH", "CARD", "ACCOUNT"):
            return None  # "see me on 12 June": a day of a date, left to the date recognizer
        raw = text[start:end]

        # 1. A Luhn-valid card number anywhere in the run: redact the whole run.
        if n >= cfg.card_min_digits and luhn_window(run, cfg.card_min_digits, cfg.card_max_digits):
            if not (run.plus and kind == "PHONE"):
                return "ACCOUNTNUMBER", 0.95, start, end
        if kind == "CVV" and 2 <= n <= 5:  # ASR drops or inserts digits: "5.2", "50082" for "five eight two"
            return "CREDITCARDCVV", 0.9, start, end
        if kind == "CODE" and near and (3 <= n <= 4 or (2 <= n <= 5 and card_in_text)):
            return "CREDITCARDCVV", 0.85, start, end  # a code read out is a secret, card or not
        if kind == "CODE" and near and 6 <= n <= 10:
            return "ACCOUNTNUMBER", 0.75, start, end  # sort codes, bank codes, passcodes
        if kind == "PIN" and 4 <= n <= 6:
            return "CREDITCARDCVV", 0.85, start, end
        if kind == "EXPIRY" and 3 <= n <= 6:
            return "CARDEXPIRY", 0.9, start, end
        tail_is_time = cue is not None and cue.last + 1 < len(toks) and toks[cue.last + 1].lower in _TIME_PREPS
        if kind == "CARD_TAIL" and 2 <= n <= 6 and not tail_is_time:  # "ending in 4242", not "ending at 1130"
            return "ACCOUNTNUMBER", 0.85, start, end
        if kind == "SSN" and n in (4, 9):
            return "SSN", 0.9, start, end
        if kind == "ZIP" and n in (5, 6, 9):
            return "ZIPCODE", 0.9, start, end
        if kind == "BIRTH" and 4 <= n <= 8 and not (n == 4 and digits[:2] in ("19", "20")):
            return "DATE", 0.8, start, end
        year_like = n == 4 and digits[:2] in ("19", "20") and prv in _YEAR_PREPS  # "open since 2015"
        if kind == "ACCOUNT" and cfg.account_min_digits <= n <= cfg.account_max_digits and not year_like:
            return "ACCOUNTNUMBER", 0.9, start, end
        if kind == "CARD":
            if n >= 8 or (n >= 2 and near and not year_like):  # "The card number is 41": ASR dropped the rest
                return "ACCOUNTNUMBER", 0.85, start, end
        if run.plus and 6 <= n <= cfg.phone_max_digits:  # a "+" outweighs a misheard cue ("model" for mobile)
            return "PHONENUMBER", 0.9, start, end
        if _SSN_SHAPE.match(raw) and kind not in ("PHONE", "ACCOUNT", "NEGATIVE"):
            return "SSN", 0.85, start, end
        if kind in ("NEGATIVE", "NATIONAL_ID"):
            return None
        if n == 12 and digits[0] in "23456789" and verhoeff_ok(digits):
            return None  # an Aadhaar number: a national ID, not a payment number
        if n >= cfg.long_number_digits and n > max(cfg.phone_digits_uncued) and not run.plus:
            return "ACCOUNTNUMBER", 0.6, start, end
        if kind == "PHONE" and cfg.phone_min_digits_cued <= n <= cfg.phone_max_digits:
            return "PHONENUMBER", 0.9, start, end
        if n in cfg.phone_digits_uncued and (kind is None or kind == "PHONE"):
            if n == 11 and digits[0] not in "10" and not _PHONE_SHAPE.match(raw):
                if generic_number:
                    return "PHONENUMBER", 0.6, start, end
                fallback = uncued_number(text, toks, run, cfg)  # not a phone; maybe a card missing digits
                return (fallback, FALLBACK_SCORE, start, end) if fallback else None
            return "PHONENUMBER", 0.8 if (generic_number or _PHONE_SHAPE.match(raw)) else 0.7, start, end
        if generic_number and kind is None and cfg.phone_min_digits_cued <= n <= cfg.phone_max_digits:
            return "PHONENUMBER", 0.7, start, end
        if kind is None and any(c.kind == "NUMBER" and c.distance <= 1 for c in before) and 2 <= n <= 6:
            return "ACCOUNTNUMBER", FALLBACK_SCORE, start, end  # "Number 35", "number is 41": what ASR left of one
        fallback = uncued_number(text, toks, run, cfg)
        if fallback is not None:
            return fallback, FALLBACK_SCORE, start, end
        return None

    def _continuation(
        self, toks: Sequence[Tok], run: NumberRun, prev_end: int, previous: RecognizerResult
    ) -> tuple[str, float, int, int] | None:
        """Digits ASR split off a phone or card number ('plus 91,98,765 for the 3,210')."""
        if previous.entity_type not in ("PHONENUMBER", "ACCOUNTNUMBER") or prev_end < 0 or len(run.digits) < 2:
            return None
        if toks[prev_end].end != previous.end:
            return None  # the previous run was not the detected number
        gap = toks[prev_end + 1 : run.first]
        nxt = toks[run.last + 1].lower if run.last + 1 < len(toks) else ""
        if sum(1 for t in gap if not t.is_digits) > self.config.near_cue_window or nxt in UNIT_WORDS:
            return None
        if any(t.text in (".", "?", "!") or cue_ending_at(toks, k) is not None
               for k, t in enumerate(toks[prev_end + 1 : run.first], start=prev_end + 1)):
            return None
        return previous.entity_type, 0.6, run.start, run.end

    def _cvv_after_card(self, toks: Sequence[Tok], run: NumberRun, card_end: int) -> tuple[str, float, int, int] | None:
        """A bare 3-4 digit number shortly after a card number ('… and the back says 291') is its CVV."""
        between = [t for t in toks[card_end + 1 : run.first] if t.is_word]
        nxt = toks[run.last + 1].lower if run.last + 1 < len(toks) else ""
        if len(between) > 2 * self.config.cue_window or nxt in UNIT_WORDS:
            return None
        if any(t.lower in ("expires", "expiry", "expiration", "exp", "valid", "thru", "through") for t in between):
            return None
        return "CREDITCARDCVV", 0.7, run.start, run.end

    def _month_expiries(self, toks: Sequence[Tok], runs: Sequence[NumberRun]) -> list[RecognizerResult]:
        """'expires April twenty twenty six' / 'valid thru march 27': month name plus year after a cue."""
        out: list[RecognizerResult] = []
        run_at = {r.first: r for r in runs}
        for p in range(len(toks)):
            hit = cue_ending_at(toks, p)
            if hit is None or hit[0] != "EXPIRY":
                continue
            q = p + 1
            while q < len(toks) and toks[q].lower in ("is", "on", "in", "date", ":", "of", "the", "end"):
                q += 1
            if q < len(toks) and toks[q].lower in MONTHS:
                end_tok = q
                r = q + 1
                while r < len(toks) and toks[r].text in (",", "/", "of"):
                    r += 1
                if r in run_at:
                    end_tok = run_at[r].last
                out.append(
                    make_result(
                        "CARDEXPIRY", toks[q].start, toks[end_tok].end, 0.9,
                        " ".join(t.lower for t in toks[q : end_tok + 1]), self.name,
                    )
                )
        return out
