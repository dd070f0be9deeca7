"""Where two decodes meet: a word on the session timeline is committed once, whatever the model emits.

A decode of audio that starts right after already-committed words (a sealed pause, a partial's
commit point, the previous final's cut) may hear the remnant of the last committed word, or repeat
text it was prompted with (an echo, often with zero-length timings at the seam). `trim_seam` drops,
in this order:
0. of a run the decode says twice in a row (the second copy perhaps cut off by the decode's end), the
   copy with no audio of its own: it takes a fraction of the other's time (`echo_ratio`), or a third
   or more of its words (of three or more) are unvoiced; the decoder looping, not a speaker repeating
   a phrase. A third copy begun at the decode's end goes with an unheard second one;
1. words with (near) zero duration at either end, or in runs inside: text without audio under it;
2. decoded words centred before the new audio's start (times are on the session timeline);
3. a head that repeats the committed tail: the longest n-gram (n ≤ `max_ngram`) that is both the
   tail's suffix and the decode's prefix, as LocalAgreement-style streaming does; a single word also
   when it is a remnant (`"cans"` after `"Americans"`). Only heads that start within `window`
   seconds of the last committed word's end are compared (one word: `remnant_window`), so a phrase
   genuinely said again after a pause is kept.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from models.streaming.decoder import DecodedWord
from models.transcript import Word

log = logging.getLogger(__name__)

_NORMALISE = re.compile(r"[^\w']+")


def word_key(text: str) -> str:
    return _NORMALISE.sub("", text.lower())


@dataclass(frozen=True)
class SeamPolicy:
    """Thresholds of `trim_seam` (from `SessionConfig`)."""

    window: float = 1.0  # s after the last committed word in which a repeated head counts as an echo
    remnant_window: float = 0.4  # the same for a one-word repeat or remnant
    min_word_seconds: float = 0.02  # a leading word shorter than this has no audio under it
    max_ngram: int = 8
    # A run said twice in a row in one decode is an echo when its second copy lasts less than this
    # share of the first ("And so my fellow Americans." 0–1.96 s, then again at 1.96–2.02 s).
    echo_ratio: float = 0.25


def _keys(words: Sequence[Word | DecodedWord]) -> list[str]:
    return [word_key(w.word if isinstance(w, Word) else w.text) for w in words]


def repeated_head(tail: list[str], head: list[str], max_ngram: int) -> int:
    """Length of the longest n-gram that ends `tail` and starts `head` (0 if none)."""
    for n in range(min(len(tail), len(head), max_ngram), 0, -1):
        if tail[-n:] == head[:n] and all(tail[-n:]):
            return n
    return 0


def _unheard(copy: list[DecodedWord], other: list[DecodedWord], policy: SeamPolicy) -> bool:
    """One copy of a run said twice in a row is not speech: squeezed into under `echo_ratio` of the other
    copy's time ("And so my fellow Americans." at 0–1.96 s, again at 1.96–2.02 s), or, for three words or
    more, a third of it unvoiced ("I didn't know you were there." at 191.97–193.07 s, then "I didn't know"
    at 193.21–193.91 s over other words and "you were there." at 193.91–193.93 s: Whisper looping)."""
    if copy[-1].end - copy[0].start < policy.echo_ratio * (other[-1].end - other[0].start):
        return True
    unvoiced = sum(w.end - w.start < policy.min_word_seconds for w in copy)
    return len(copy) >= 3 and 3 * unvoiced >= len(copy)


def _cut_copy(run: list[str], rest: list[str]) -> bool:
    """`rest` (the decode's last words) begins `run` again, its last word perhaps cut ("didn")."""
    if not rest or len(rest) >= len(run) or rest[:-1] != run[: len(rest) - 1]:
        return False
    return bool(rest[-1]) and run[len(rest) - 1].startswith(rest[-1])


def _copy_length(run: list[str], rest: list[str]) -> int:
    """How many of the words after `run` repeat it: all of it, or 2+ words of it cut off by the decode's end."""
    if rest[: len(run)] == run:
        return len(run)
    return len(rest) if len(rest) >= 2 and _cut_copy(run, rest) else 0


def drop_echoes(words: list[DecodedWord], policy: SeamPolicy) -> list[DecodedWord]:
    """Without the copy no audio carries (see `_unheard`) of a run (2 ≤ n ≤ `max_ngram` words) that the
    decode says twice in a row, the second copy perhaps cut off by the decode's end; when the second copy
    is the unheard one, a third copy begun at the decode's end goes with it."""
    kept = list(words)
    n = min(policy.max_ngram, len(kept) - 2)
    while n >= 2:
        keys = _keys(kept)
        for i in range(len(kept) - n - 1):
            run = keys[i : i + n]
            length = _copy_length(run, keys[i + n :]) if all(run) else 0
            if not length:
                continue
            first, second, end = kept[i : i + n], kept[i + n : i + n + length], i + n + length
            if _unheard(second, first, policy):
                third_begun = length == n and _cut_copy(run, keys[end:])
                del kept[i + n : len(kept) if third_begun else end]
                break
            if _unheard(first, second, policy):
                del kept[i : i + n]
                break
        else:
            n -= 1
    return kept


def drop_unvoiced(words: list[DecodedWord], min_seconds: float) -> list[DecodedWord]:
    """Without words that have no audio under them: (near) zero-length words at either end, and every
    run of two or more inside (a decode that repeats itself into the padding: "… man. He was not …" at 2.8–2.8 s).
    """
    short = [w.end - w.start < min_seconds for w in words]
    keep = [True] * len(words)
    n = 0
    while n < len(words):
        if not short[n]:
            n += 1
            continue
        end = n
        while end < len(words) and short[end]:
            end += 1
        if n == 0 or end == len(words) or end - n >= 2:
            keep[n:end] = [False] * (end - n)
        n = end
    return [w for w, k in zip(words, keep, strict=True) if k]


def trim_seam(
    context: Sequence[Word], words: list[DecodedWord], offset: float, policy: SeamPolicy
) -> list[DecodedWord]:
    """The decoded `words` (times relative to `offset` s on the session timeline) minus what `context` already has."""
    kept = _trim(context, words, offset, policy)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("seam at %.2f s after %r: decoded %s; kept %d", offset, " ".join(w.word for w in context[-6:]),
                  " ".join(f"{w.text.strip()}@{offset + w.start:.2f}-{offset + w.end:.2f}" for w in words), len(kept))
    return kept


def _trim(context: Sequence[Word], words: list[DecodedWord], offset: float, policy: SeamPolicy) -> list[DecodedWord]:
    seam = max(offset, context[-1].end if context else offset)
    kept = drop_unvoiced(drop_echoes(words, policy), policy.min_word_seconds)
    kept = [w for w in kept if offset + (w.start + w.end) / 2 >= seam - policy.min_word_seconds]
    if not kept or not context:
        return kept
    head_delay = offset + kept[0].start - context[-1].end  # a phrase said again after a real pause is kept
    tail, head = _keys(context), _keys(kept)
    n = repeated_head(tail, head, policy.max_ngram) if head_delay <= policy.window else 0
    if n > 1 or (n == 1 and head_delay <= policy.remnant_window):
        return kept[n:]
    if head_delay <= policy.remnant_window and head[0] and tail[-1].endswith(head[0]):
        return kept[1:]  # the remnant of the last committed word ("cans" after "Americans")
    return kept


def heard_after(
    decoded: Sequence[Word], committed: Sequence[Word], span: tuple[float, float], policy: SeamPolicy
) -> list[Word]:
    """Words partials committed (two decodes agreed) past a final decode's last word, inside the decode's
    audio `span` (s): words past its end (speech that resumed after a pause) belong to the next segment.

    A final's decode may stop before the speech does (Whisper ending its text early on a short segment:
    "He" of "He could wait no longer"); what partials agreed on after that is kept, not lost. A committed
    word centred inside the decode's last word, or a head repeating the decode's tail, is the decode's own.
    """
    after, until = span
    end = decoded[-1].end if decoded else after
    rest = [w for w in committed if w.start >= after and end < (w.start + w.end) / 2 < until]
    if not rest or not decoded:
        return rest
    delay = rest[0].start - decoded[-1].end
    n = repeated_head(_keys(decoded), _keys(rest), policy.max_ngram) if delay <= policy.window else 0
    return rest[n:]


def repeated_ngrams(words: Sequence[str], reference: Sequence[str], n: int = 3) -> list[tuple[str, ...]]:
    """n-grams said more often in `words` than in `reference` and at least twice: duplicated runs.

    Used by tests and the bench (on normalised words): a seam that duplicates text shows up here.
    """
    def counts(seq: Sequence[str]) -> Counter[tuple[str, ...]]:
        return Counter(tuple(seq[i : i + n]) for i in range(len(seq) - n + 1))

    ours, theirs = counts(words), counts(reference)
    return sorted(gram for gram, count in ours.items() if count >= 2 and count > theirs[gram])
