"""PII/PCI redaction of transcripts (spec §8.1): Presidio + spaCy with recognizers for spoken forms.

Public API, called by the pipeline and the streaming sessions:

    RedactionConfig   named thresholds, from YAML `stages.redaction`
    TokenBook         numbering state for one request or one streaming session (`fork()` for partials)
    Redactor          loads the engine once; `redact_text`, `redact_transcript`, `analyze`
"""

from typing import TYPE_CHECKING, Any

from models.redaction.config import RedactionConfig
from models.redaction.entities import PCI_ENTITIES, PII_ENTITIES
from models.redaction.tokens import Span, TokenBook

if TYPE_CHECKING:
    from models.redaction.redactor import Redactor, language_code

__all__ = ["PCI_ENTITIES", "PII_ENTITIES", "RedactionConfig", "Redactor", "Span", "TokenBook", "language_code"]


def __getattr__(name: str) -> Any:
    """`Redactor` and `language_code` import Presidio and spaCy (~10 s on 2 cores): loaded on first use, so a
    server with redaction off (or the typed config alone) starts without them."""
    if name in ("Redactor", "language_code"):
        from models.redaction import redactor

        return getattr(redactor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
