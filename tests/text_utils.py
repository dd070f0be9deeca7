"""WER helpers for tests and benchmarks (normalise both sides like Whisper's English normaliser)."""

from __future__ import annotations

import re

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer

_normalise = EnglishTextNormalizer()


def normalise(text: str) -> str:
    return _normalise(text)


def basic_wer(reference: str, hypothesis: str) -> float:
    """Language-neutral WER: lower-case, punctuation removed."""
    clean = re.compile(r"[^\w\s]")
    ref = " ".join(clean.sub(" ", reference.lower()).split())
    hyp = " ".join(clean.sub(" ", hypothesis.lower()).split())
    return jiwer.wer(ref, hyp) if ref else float(bool(hyp))


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return jiwer.wer(ref, hyp)
