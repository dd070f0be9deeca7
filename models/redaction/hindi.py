"""Hindi (`language=hi`): pattern recognizers on spaCy's blank Hindi tokenizer.

No Hindi NER ships offline, so names and addresses are not found in Hindi text; what has a shape
is: Aadhaar (12 digits, Verhoeff-checked), PAN (ABCDE1234F), Indian phone numbers (+91 and
10-digit mobiles), card and account numbers (Luhn, Hindi cue words, Devanagari digits and Hindi
digit words via `NumberRecognizer`) and e-mail addresses. Aadhaar and PAN are national IDs and
take the `[SSN_n]` token. The Aadhaar/PAN recognizers also run on English (Indian English speech).
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import InAadhaarRecognizer, InPanRecognizer

from models.redaction.config import RedactionConfig
from models.redaction.recognizers import NumberRecognizer
from models.redaction.written import SpokenEmailRecognizer

# `\d` matches Devanagari digits too; Presidio's checks convert them with int().
_AADHAAR = [Pattern("aadhaar", r"(?<!\d)[2-9\u0968-\u096f]\d{3}[\s-]?\d{4}[\s-]?\d{4}(?!\d)", 0.5)]
_PAN = [Pattern("pan", r"\b[A-Za-z]{3}[ABCFGHJLPTabcfghjlpt][A-Za-z]\d{4}[A-Za-z]\b", 0.8)]
_IN_PHONE = [
    Pattern("+91 phone", r"(?:\+|\b)91[\s-]?[6-9\u096c-\u096f]\d{4}[\s-]?\d{5}(?!\d)", 0.9),
    Pattern("0-prefixed mobile", r"(?<!\d)0[6-9\u096c-\u096f]\d{4}[\s-]?\d{5}(?!\d)", 0.8),
    Pattern("mobile", r"(?<![\d+])[6-9\u096c-\u096f]\d{4}[\s-]?\d{5}(?!\d)", 0.7),
]
_HINDI_ID_CONTEXT = ["aadhaar", "aadhar", "आधार", "uidai", "pan", "पैन"]


def indian_id_recognizers(language: str) -> list[EntityRecognizer]:
    """Aadhaar and PAN recognizers (entity NATIONALID) for `language`."""
    return [
        InAadhaarRecognizer(
            patterns=_AADHAAR, context=_HINDI_ID_CONTEXT, supported_language=language,
            supported_entity="NATIONALID", name=f"AadhaarRecognizer_{language}",
        ),
        InPanRecognizer(
            patterns=_PAN, context=_HINDI_ID_CONTEXT, supported_language=language,
            supported_entity="NATIONALID", name=f"PanRecognizer_{language}",
        ),
    ]


def hindi_recognizers(config: RedactionConfig) -> list[EntityRecognizer]:
    """Everything that runs for `language=hi`."""
    return [
        *indian_id_recognizers("hi"),
        PatternRecognizer(
            supported_entity="PHONENUMBER", patterns=_IN_PHONE, supported_language="hi",
            context=["फोन", "फ़ोन", "मोबाइल", "नंबर", "phone", "mobile"], name="IndianPhoneRecognizer_hi",
        ),
        NumberRecognizer(config, "hi"),
        SpokenEmailRecognizer(config, "hi"),
    ]
