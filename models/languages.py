"""Pulse language codes and auto-detect aggregators, resolved against what an engine supports."""

from __future__ import annotations

from dataclasses import dataclass

# §9.1 pre-recorded enum, §9.2 streaming codes, and the older tables of §9.3 (accepted for tolerance).
SINGLE_CODES: frozenset[str] = frozenset(
    "en hi de es ru it fr nl pt uk pl cs sk lv et ro fi sv bg hu da lt mt zh ja ko "
    "yue gu mr or bn ta te kn ml pa tl id ms".split()
)

EUROPEAN = "en de es ru it fr nl pt uk pl cs sk lv et ro fi sv bg hu da lt mt".split()

AGGREGATORS: dict[str, tuple[str, ...] | None] = {
    "multi-eu": tuple(EUROPEAN),
    "multi-asian": ("zh", "yue", "ja", "ko", "en"),
    "multi-indic": ("en", "hi", "gu", "mr", "bn", "or", "pa", "ta", "te", "kn", "ml"),
    "north_indic": ("en", "hi", "gu", "mr", "bn", "or"),
    "multi-south-indic": ("ta", "te", "kn", "ml", "en"),
    "multi": None,  # every language the model knows
}


class LanguageNotAvailable(ValueError):
    """A known Pulse code that the loaded model cannot transcribe (the region error of §3.6)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class UnknownLanguage(ValueError):
    """A code that is not a Pulse language at all."""


@dataclass(frozen=True)
class LanguagePlan:
    """How to treat language for one request.

    `pinned` fixes the decoding language; otherwise detection runs and, when `candidates` is
    set, only those languages may win.
    """

    requested: str
    pinned: str | None
    candidates: tuple[str, ...] | None


# Codes a Whisper tokenizer lacks but a close sibling covers.
_FALLBACKS = {"yue": "zh"}


def plan_language(code: str | None, supported: frozenset[str], english_only: bool) -> LanguagePlan:
    """Validate `code` and decide between pinning and restricted detection."""
    requested = (code or "multi").strip().lower()
    if english_only:
        if requested not in SINGLE_CODES and requested not in AGGREGATORS:
            raise UnknownLanguage(requested)
        # pulse-pro is English; other codes are accepted, as the hosted service does.
        return LanguagePlan(requested, "en", None)
    if requested in AGGREGATORS:
        members = AGGREGATORS[requested]
        if members is None:
            return LanguagePlan(requested, None, None)
        usable = tuple(c for c in members if c in supported)
        if not usable:
            raise LanguageNotAvailable(requested)
        return LanguagePlan(requested, None, usable)
    if requested not in SINGLE_CODES:
        raise UnknownLanguage(requested)
    if requested in supported:
        return LanguagePlan(requested, requested, None)
    fallback = _FALLBACKS.get(requested)
    if fallback and fallback in supported:
        return LanguagePlan(requested, fallback, None)
    raise LanguageNotAvailable(requested)


def pick_language(probabilities: list[tuple[str, float]], candidates: tuple[str, ...]) -> tuple[str, float]:
    """The most probable language among `candidates` (probabilities renormalised over them)."""
    allowed = {lang: p for lang, p in probabilities if lang in candidates}
    if not allowed:
        return candidates[0], 0.0
    best = max(allowed, key=allowed.__getitem__)
    total = sum(allowed.values()) or 1.0
    return best, allowed[best] / total
