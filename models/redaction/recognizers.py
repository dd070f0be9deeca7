"""The recognizer for numbers in ASR transcripts, in digits or words; shared recognizer helpers.

`NumberRecognizer` reads every number run (see `numbers.py`) and decides with the rule table of
`number_rules.py` (digits, Luhn, written shape, the nearest context cue) whether it is a
card/account number, CVV, card expiry, PIN, ZIP code, phone number, SSN or date of birth — or
nothing (order numbers, amounts, "two kids"); then what the runs around it change (a CVV after a
card number, pieces ASR split off a number). Each result carries the value normalised (digits
only) in `recognition_metadata["normalized"]`, so the same number spoken or written gets the same
token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from presidio_analyzer import EntityRecognizer, RecognizerResult

from models.redaction.config import RedactionConfig
from models.redaction.cues import cue_ending_at, spelled_ending_at
from models.redaction.lexicon import MONTHS, UNIT_WORDS
from models.redaction.number_rules import NumberFacts, NumberReading, classify
from models.redaction.numbers import NumberRun, number_runs
from models.redaction.policy import fragment_before, worded_value_after_cue
from models.text.words import TextToken, split_text

NORMALIZED = "normalized"

_CVV_WORD = re.compile(r"^(?:c[vb][a-z2]|cvv2|cvc2)$")  # one-token CVV cues that are not everyday words
_CVV_PHRASES = frozenset({"security code", "verification code", "verification number", "security number"})
_EXPIRY_WORDS = frozenset({"expires", "expiry", "expiration", "exp", "valid", "thru", "through"})


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


class NumberRecognizer:
    """Card/account numbers, CVV, expiry, PIN, ZIP, phone, SSN and birth dates from number runs.

    Runs beside Presidio's analysis, not inside it (see Redactor.analyze): what it decides depends
    on the cue kinds a streaming session carries over from its previous final, which `find` takes
    as an argument. Each number run is read by the rule table of number_rules.py; this class adds
    what depends on the runs around it (a CVV after a card number, pieces ASR split off a number).
    """

    ENTITIES = ("ACCOUNTNUMBER", "CREDITCARDCVV", "CARDEXPIRY", "ZIPCODE", "PHONENUMBER", "SSN", "DATE")

    def __init__(self, config: RedactionConfig, language: str = "en") -> None:
        self.config = config
        self.name = f"NumberRecognizer_{language}"

    def find(self, text: str, carry: frozenset[str] = frozenset()) -> list[RecognizerResult]:
        """Detections in `text`; `carry` holds the cue kinds the previous final of a session ended on."""
        toks = split_text(text)
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
            found = classify(NumberFacts(self.config, text, toks, run, prev_end, card_in_text, carry))
            found = self._in_context(toks, run, found, card_end, prev_end, out)
            prev_end = run.last
            if found is not None:
                if missed is not None and found.entity in ("PHONENUMBER", "ACCOUNTNUMBER"):
                    if fragment_before(toks, missed, run, self.config):
                        out.append(make_result(found.entity, missed.start, missed.end, self.config.scores.fragment,
                                               missed.digits, self.name))
                out.append(make_result(found.entity, run.start, run.end, found.score, run.digits, self.name))
                if found.entity == "ACCOUNTNUMBER":
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

    def _in_context(
        self,
        toks: Sequence[TextToken],
        run: NumberRun,
        found: NumberReading | None,
        card_end: int,
        prev_end: int,
        out: list[RecognizerResult],
    ) -> NumberReading | None:
        """Where the table only guessed (or found nothing), the runs before this one may decide:
        a short number after a card number is its CVV; digits right after a detected number continue it."""
        cfg = self.config
        cvv_digits = cfg.cvv_after_card_min_digits <= len(run.digits) <= cfg.cvv_after_card_max_digits
        if (found is None or found.guess) and card_end >= 0 and cvv_digits:
            found = self._cvv_after_card(toks, run, card_end) or found
        if (found is None or found.guess) and out:
            found = self._continuation(toks, run, prev_end, out[-1]) or found
        return found

    def _worded_cvvs(self, toks: Sequence[TextToken], runs: Sequence[NumberRun]) -> list[RecognizerResult]:
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
                out.append(make_result("CREDITCARDCVV", toks[a].start, toks[b].end, self.config.scores.cvv_words,
                                       " ".join(t.lower for t in toks[a : b + 1]), self.name))
        return out

    def _continuation(
        self, toks: Sequence[TextToken], run: NumberRun, prev_end: int, previous: RecognizerResult
    ) -> NumberReading | None:
        """Digits ASR split off a phone or card number ('plus 91,98,765 for the 3,210')."""
        if previous.entity_type not in ("PHONENUMBER", "ACCOUNTNUMBER") or prev_end < 0:
            return None
        if len(run.digits) < self.config.fragment_min_digits:
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
        return NumberReading(previous.entity_type, self.config.scores.fragment, guess=False)

    def _cvv_after_card(self, toks: Sequence[TextToken], run: NumberRun, card_end: int) -> NumberReading | None:
        """A bare 3-4 digit number shortly after a card number ('… and the back says 291') is its CVV."""
        between = [t for t in toks[card_end + 1 : run.first] if t.is_word]
        nxt = toks[run.last + 1].lower if run.last + 1 < len(toks) else ""
        if len(between) > self.config.cvv_after_card_max_words or nxt in UNIT_WORDS:
            return None
        if any(t.lower in _EXPIRY_WORDS for t in between):
            return None
        return NumberReading("CREDITCARDCVV", self.config.scores.cvv_after_card, guess=False)

    def _month_expiries(self, toks: Sequence[TextToken], runs: Sequence[NumberRun]) -> list[RecognizerResult]:
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
                        "CARDEXPIRY", toks[q].start, toks[end_tok].end, self.config.scores.month_expiry,
                        " ".join(t.lower for t in toks[q : end_tok + 1]), self.name,
                    )
                )
        return out
