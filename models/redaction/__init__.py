"""PII/PCI redaction of transcripts (spec §8.1): Presidio + spaCy with recognizers for spoken forms.

Public API, called by the pipeline and the streaming sessions:

    RedactionConfig   named thresholds, from YAML `stages.redaction`
    TokenBook         numbering state for one request or one streaming session (`fork()` for partials)
    Redactor          loads the engine once; `redact_text`, `redact_transcript`, `analyze`
"""

from models.redaction.config import RedactionConfig
from models.redaction.entities import PCI_ENTITIES, PII_ENTITIES
from models.redaction.redactor import Redactor, language_code
from models.redaction.tokens import Span, TokenBook

__all__ = ["PCI_ENTITIES", "PII_ENTITIES", "RedactionConfig", "Redactor", "Span", "TokenBook", "language_code"]
