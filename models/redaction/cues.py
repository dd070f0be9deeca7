"""Context cues around a number ("card number is", "CVV", "expires"), read as ASR writes them.

Whisper spells a spoken "CVV" as "CVB", "C-B-B", "C.V.V." or "see vee vee", "verification" as
"Marification" and "card number" as "cart number". `cue_ending_at` reads such forms back as the cue
they stand for: letter sequences are collapsed into acronyms, long cue words match within a small
edit distance, and the lexicon lists the common mishearings as phrases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from models.redaction.lexicon import CUES, FUZZY_CUE_WORDS, LETTER_NAMES, SPELLED_CUES
from models.text.words import TextToken

# Longest spelled acronym collected backwards from a token ("c v v", "s s n").
_MAX_SPELLED = 4
# Letter tokens a spelled acronym is made of: single letters, or two glued by a dash ("cb-b").
_SPELLED_PIECE = re.compile(r"^[a-z]{1,2}$")
# Edit distance allowed for a misheard long cue word: at most this share of its length, and 2.
FUZZY_SHARE = 0.25
FUZZY_MAX_EDITS = 2
FUZZY_MIN_LEN = 6


@lru_cache(maxsize=4096)
def canonical(word: str) -> str:
    """A misheard long cue word as the cue word it stands for ("marification" -> "verification")."""
    if len(word) < FUZZY_MIN_LEN or not word.isalpha() or word in _CUE_WORDS:
        return word
    best, best_d = word, FUZZY_MAX_EDITS + 1
    for target in FUZZY_CUE_WORDS:
        if abs(len(target) - len(word)) > FUZZY_MAX_EDITS:
            continue
        d = edit_distance(word, target, best_d)
        if d < best_d and d <= FUZZY_SHARE * len(target):
            best, best_d = target, d
    return best


def edit_distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance of `a` and `b`, or `cap` as soon as it is certain to reach it."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) >= cap:
            return cap
        prev = cur
    return min(prev[-1], cap)


def spelled_ending_at(toks: Sequence[TextToken], p: int) -> tuple[str, int, bool] | None:
    """Letters of an acronym spelled out and ending at token `p` ("C-B-B", "c v v", "see vee vee").

    Returns (lower-case letters, first token index, whether letter names were used) when at least
    two letter pieces are joined by dashes, dots or spaces; None otherwise. Letter names ("see",
    "vee") count as their letter only in a run of three, since "see" and "be" are everyday words.
    """
    letters: list[str] = []
    first = p
    q = p
    names = 0
    while q >= 0 and len("".join(letters)) < _MAX_SPELLED:
        w = toks[q].lower
        if _SPELLED_PIECE.match(w) and (len(w) == 1 or _dash_glued(toks, q)):
            letters.insert(0, w)
        elif w in LETTER_NAMES:
            letters.insert(0, LETTER_NAMES[w])
            names += 1
        else:
            break
        first = q
        q -= 1
        if q >= 0 and toks[q].text in ("-", "."):
            q -= 1
    if len(letters) < 2 or (names and len(letters) < 3):
        return None
    return "".join(letters), first, names > 0


def _dash_glued(toks: Sequence[TextToken], q: int) -> bool:
    """Is token `q` glued to a neighbouring letter by a dash or dot with no space ("cb-b")?"""
    n = len(toks)
    before = q >= 2 and toks[q - 1].text in ("-", ".") and toks[q - 2].end == toks[q - 1].start == toks[q - 1].end - 1
    before = before and toks[q - 1].end == toks[q].start
    after = q + 2 < n and toks[q + 1].text in ("-", ".") and toks[q].end == toks[q + 1].start
    after = after and toks[q + 1].end == toks[q + 2].start
    return before or after


@dataclass(frozen=True)
class Cue:
    kind: str
    first: int  # token index where the cue phrase starts
    last: int
    distance: int  # word tokens between the cue and the number


_INDEX_WORDS = frozenset({"cvs"})
_CUE_INDEX: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for _kind, _phrases in CUES.items():
    for _phrase in _phrases:
        _CUE_INDEX.setdefault(_phrase[-1], []).append((_kind, _phrase))
_CUE_WORDS = frozenset(w for phrases in CUES.values() for phrase in phrases for w in phrase)


# ASR spellings of "CVV"/"CVC" ("CVB", "CBV", "CVM", "cvd"): three letters, c + v/b + one more.
_CVV_LIKE = re.compile(r"^c[vb][a-z2]$")
# Spelled out letter by letter ASR is less sure of the third letter, but a v/b second letter stays.
_SPELLED_CVV = re.compile(r"c[vb][a-z]$")
_NAMED_CVV = re.compile(r"c[vb][vbc]$")  # "see be be", not "see be a"


def _spelled_kind(letters: str, named: bool) -> str | None:
    """Cue kind of a spelled acronym: the tail of the letters decides ("a c-v-v" is still "cvv")."""
    if (_NAMED_CVV if named else _SPELLED_CVV).search(letters):
        return "CVV"
    for size in (3, 2):
        kind = SPELLED_CUES.get(letters[-size:])
        if kind is not None:
            return kind
    return None


def cue_ending_at(toks: Sequence[TextToken], p: int) -> tuple[str, int] | None:
    """The longest cue phrase whose last token is `p`: (kind, first token index)."""
    best: tuple[str, int] | None = None
    best_len = 0
    w = toks[p].lower
    spelled = spelled_ending_at(toks, p)
    if spelled is not None and (kind := _spelled_kind(spelled[0], spelled[2])) is not None:
        best, best_len = (kind, spelled[1]), p - spelled[1] + 1
    elif _CVV_LIKE.match(w) and w not in _INDEX_WORDS:
        best, best_len = ("CVV", p), 1
    elif len(w) > 5 and (w.startswith("card") or w.endswith("card")) and w.isalpha():
        best, best_len = ("CARD", p), 1  # ASR glues words: "creditcard", "Cardend", "cardnumber"
    for kind, phrase in _CUE_INDEX.get(canonical(w), ()):
        a = p - len(phrase) + 1
        if a < 0 or len(phrase) <= best_len:
            continue
        if all(canonical(toks[a + q].lower) == phrase[q] for q in range(len(phrase))):
            best, best_len = (kind, a), len(phrase)
    return best


def cues_before(toks: Sequence[TextToken], index: int, window: int, stop: int = -1) -> list[Cue]:
    """Cue phrases in the `window` word tokens before token `index`, nearest first.

    Scanning stops at token `stop` (the end of the previous number) and at sentence ends ("?", "!"),
    so a number never takes the cue of an earlier number.
    """
    found: list[Cue] = []
    words = 0
    p = index - 1
    while p > stop and words < window:
        t = toks[p]
        if t.text in ("?", "!"):
            break
        hit = cue_ending_at(toks, p)
        if hit is not None:
            kind, a = hit
            if kind == "NUMBER" and a > 0 and a - 1 > stop:
                # "card number", "order no": the word before "number" says what the number is.
                before = cue_ending_at(toks, a - 1)
                if before is not None and before[0] != "NUMBER":
                    kind, a = before
            found.append(Cue(kind, a, p, words))
            words += p - a + 1
            p = a - 1
            continue
        if t.is_word or t.is_digits:
            words += 1
        p -= 1
    return found


_LINKS = frozenset({"is", "was", "as", "for", "that's", "thats", "being", "my", "its", "it's", "which", ","})


def cues_after(toks: Sequence[TextToken], index: int, window: int) -> list[Cue]:
    """Cues in "… is my card number" / "…, my social security number" right after a number."""
    if index >= len(toks) or toks[index].lower not in _LINKS:
        return []
    if toks[index].text == "," and (index + 1 >= len(toks) or toks[index + 1].lower not in _LINKS - {","}):
        return []
    found: list[Cue] = []
    for p in range(index, min(len(toks), index + window + 1)):
        if toks[p].is_digits or toks[p].text in (".", "?", "!") or toks[p].lower == "and":
            break
        hit = cue_ending_at(toks, p)
        if hit is not None:
            found.append(Cue(hit[0], hit[1], p, p - index))
    found.sort(key=lambda c: -len(range(c.first, c.last + 1)))
    return found
