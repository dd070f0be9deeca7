"""Recognizers for identifiers with a written shape: e-mail (typed or spoken), IBAN, UK/Canadian postcodes.

Spoken e-mails ("jane dot doe at yahoo dot com") are found from the domain back to the local part;
IBANs of any case are checked with their mod-97 checksum.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from models.redaction.numbers import Tok, tokenize
from models.redaction.recognizers import TranscriptRecognizer, make_result

# --- e-mail -----------------------------------------------------------------------------------

_TLDS = (
    "com|org|net|edu|gov|mil|io|co|us|uk|in|ca|au|de|fr|es|it|nl|se|no|dk|fi|ie|nz|za|jp|cn|kr|br|mx|ru|"
    "ch|at|be|pl|pt|info|biz|me|tv|ai|app|dev|xyz|online|site|tech|email"
)
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_SPOKEN_DOT = r"(?:\s*\.\s*(?=\w)|\s+dot\s+|\s+period\s+|\s+point\s+)"
_AT = r"(?:\s*@\s*|\s+at(?:\s+the\s+rate(?:\s+of)?)?\s+|\s+at\s+sign\s+)"
# "@ domain" or spoken " at domain dot tld"; the local part is then read backwards word by word.
_AT_DOMAIN = re.compile(
    rf"(?P<at>{_AT})"
    rf"(?P<domain>{_LABEL}(?:\s+{_LABEL})?(?:{_SPOKEN_DOT}{_LABEL}){{0,3}}{_SPOKEN_DOT}(?:{_TLDS}))\b",
    re.IGNORECASE,
)
_LOCAL_SEPARATORS = frozenset({".", "_", "-", "+", "dot", "underscore", "dash", "hyphen", "plus", "period"})
# Words that end a spoken local part going backwards ("my email is | john smith at …").
_NOT_LOCAL = frozenset({
    "is", "was", "are", "were", "be", "am", "it's", "its", "it", "email", "e-mail", "mail", "address", "id", "my",
    "your", "his", "her", "our", "their", "the", "a", "an", "and", "or", "to", "at", "me", "us", "him", "them",
    "you", "i", "we", "they", "he", "she", "this", "that", "there", "here", "send", "sent", "write", "wrote",
    "reach", "contact", "cc", "on", "in", "from", "for", "of", "with", "by", "works", "work", "worked", "working",
    "live", "lives", "stay", "stays", "staying", "meet", "met", "see", "saw", "look", "looking", "over", "back",
    "please", "so", "okay", "ok", "yes", "yeah", "um", "uh", "just", "also", "then", "now", "is:", "email:",
    "new", "old", "personal", "office", "forward", "forwarded",
})
_MAX_LOCAL_TOKENS = 7


def normalize_email(value: str) -> str:
    """'John Dot Smith at Gmail dot com' -> 'john.smith@gmail.com'."""
    v = f" {value.lower()} "
    for spoken, written in (
        (r"\s+at\s+the\s+rate(?:\s+of)?\s+", "@"), (r"\s+at\s+sign\s+", "@"), (r"\s+at\s+", "@"),
        (r"\s+(?:dot|period|point)\s+", "."), (r"\s+underscore\s+", "_"), (r"\s+(?:dash|hyphen)\s+", "-"),
        (r"\s+plus\s+", "+"),
    ):
        v = re.sub(spoken, written, v)
    return re.sub(r"\s+", "", v)


class SpokenEmailRecognizer(TranscriptRecognizer):
    """E-mail addresses written ('a.b@c.com') or spoken ('a dot b at c dot com', 'at the rate')."""

    ENTITIES = ("EMAIL",)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        toks = tokenize(text)
        for m in _AT_DOMAIN.finditer(text):
            start = self._local_start(text, toks, m.start("at"), written="@" in m.group("at"))
            if start is None:
                continue
            value = text[start : m.end()]
            out.append(make_result("EMAIL", start, m.end(), 0.9, normalize_email(value), self.name))
        return out

    @staticmethod
    def _local_start(text: str, toks: Sequence[Tok], at: int, written: bool) -> int | None:
        """Start of the local part ending at character `at`: words, digits, letters and separators.

        A written address ("a.b@c.com") has no spaces in it; a spoken one may ("john smith at …").
        """
        before = [t for t in toks if t.end <= at]
        if not before or before[-1].end < at - 1 and text[before[-1].end : at].strip():
            return None
        start = None
        taken = 0
        for t in reversed(before):
            w = t.lower
            if taken >= _MAX_LOCAL_TOKENS:
                break
            if w in _LOCAL_SEPARATORS:
                if start is None:
                    return None  # "dot at …" is no address
                start = t.start
                taken += 1
                continue
            glued = start is not None and t.end == start  # written "a.garcia": no space, no doubt
            if written and start is not None and not glued:
                break
            if (t.is_word or t.is_digits) and (w not in _NOT_LOCAL or glued):
                start = t.start
                taken += 1
                continue
            break
        if start is None:
            return None
        # A separator cannot open the local part.
        while True:
            first = next((t for t in toks if t.start == start), None)
            if first is None or first.lower not in _LOCAL_SEPARATORS:
                break
            nxt = [t for t in toks if t.start > start]
            if not nxt:
                return None
            start = nxt[0].start
        return start


# --- IBAN and postal codes -------------------------------------------------------------------

_IBAN = re.compile(r"\b([A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]{4}){2,7}(?:[ -]?[A-Za-z0-9]{1,3})?)\b")


def iban_ok(value: str) -> bool:
    v = re.sub(r"[\s-]", "", value).upper()
    if not 15 <= len(v) <= 34 or not v[:2].isalpha():
        return False
    moved = v[4:] + v[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False


class IbanRecognizer(TranscriptRecognizer):
    """IBANs in any case (ASR lower-cases them), checked with mod 97."""

    ENTITIES = ("ACCOUNTNUMBER",)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        for m in _IBAN.finditer(text):
            value = m.group(1)
            # The trailing group may have swallowed the next word; retry shorter forms.
            while value and not iban_ok(value):
                cut = max(value.rfind(" "), value.rfind("-"))
                if cut <= 4:
                    value = ""
                    break
                value = value[:cut]
            if value:
                norm = re.sub(r"[\s-]", "", value).upper()
                out.append(make_result("ACCOUNTNUMBER", m.start(1), m.start(1) + len(value), 0.95, norm, self.name))
        return out


_UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b")
_CA_POSTCODE = re.compile(r"\b([A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d)\b")
_POSTCODE_CUE = re.compile(r"\b(?:post\s?code|postal\s+code|zip(?:\s+code)?)\b[^.?!]{0,20}$", re.IGNORECASE)


class PostcodeRecognizer(TranscriptRecognizer):
    """UK and Canadian postcodes (letters and digits, so `NumberRecognizer` cannot see them)."""

    ENTITIES = ("ZIPCODE",)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        for pattern in (_UK_POSTCODE, _CA_POSTCODE):
            for m in pattern.finditer(text):
                value = m.group(1)
                cased = value.upper() == value
                cued = _POSTCODE_CUE.search(text[: m.start(1)]) is not None
                if not (cased or cued) or not any(c.isdigit() for c in value):
                    continue
                out.append(
                    make_result("ZIPCODE", m.start(1), m.end(1), 0.85 if cued else 0.7,
                                re.sub(r"[\s-]", "", value).upper(), self.name)
                )
        # Lower-case ASR postcodes need the cue: "my postcode is sw1a 1aa".
        for m in re.finditer(r"\b([a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2})\b", text):
            if _POSTCODE_CUE.search(text[: m.start(1)]):
                out.append(make_result("ZIPCODE", m.start(1), m.end(1), 0.85, m.group(1).replace(" ", "").upper(),
                                       self.name))
        return out
