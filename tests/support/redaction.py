"""Redaction test support: one call that redacts a sentence with a fresh token book."""

from __future__ import annotations

from models.redaction import Redactor, TokenBook


def redact(r: Redactor, text: str, pii: bool = True, pci: bool = True, language: str = "en",
           book: TokenBook | None = None) -> str:
    return r.redact_text(text, pii=pii, pci=pci, language=language, book=book or TokenBook())[0]
