"""Unit tests of the small inference helpers: language plans, chunking, utterance splitting."""

from __future__ import annotations

import numpy as np
import pytest

from models.audio import SAMPLE_RATE, iter_chunks
from models.languages import LanguageNotAvailable, UnknownLanguage, pick_language, plan_language
from models.transcript import Word
from models.utterances import split_utterances

WHISPER_LIKE = frozenset({"en", "de", "fr", "es", "zh", "ja", "ko", "hi"})


def test_language_plans() -> None:
    assert plan_language("de", WHISPER_LIKE, False).pinned == "de"
    eu = plan_language("multi-eu", WHISPER_LIKE, False)
    assert eu.pinned is None and set(eu.candidates) == {"en", "de", "fr", "es"}
    assert plan_language(None, WHISPER_LIKE, False).candidates is None
    assert plan_language("yue", WHISPER_LIKE, False).pinned == "zh"
    assert plan_language("fr", WHISPER_LIKE, True).pinned == "en"
    with pytest.raises(LanguageNotAvailable):
        plan_language("or", WHISPER_LIKE, False)
    with pytest.raises(UnknownLanguage):
        plan_language("xx", WHISPER_LIKE, False)


def test_pick_language_restricted_to_candidates() -> None:
    probs = [("ru", 0.6), ("de", 0.3), ("en", 0.1)]
    lang, p = pick_language(probs, ("de", "en"))
    assert lang == "de" and p == pytest.approx(0.75)


def test_chunks_cut_at_quiet_points_and_cover_everything() -> None:
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(SAMPLE_RATE * 50) * 0.3).astype(np.float32)
    audio[SAMPLE_RATE * 18 : SAMPLE_RATE * 18 + 4000] = 0.0  # a quiet gap inside the search window
    blocks = (audio[i : i + SAMPLE_RATE * 7] for i in range(0, audio.size, SAMPLE_RATE * 7))
    chunks = list(iter_chunks(blocks, chunk_seconds=20, search_seconds=4))
    assert sum(c.size for _, c in chunks) == audio.size
    assert all(c.size <= SAMPLE_RATE * 20 for _, c in chunks)
    first_cut = chunks[1][0]
    assert 18.0 <= first_cut <= 18.0 + 4000 / SAMPLE_RATE
    offsets = [o for o, _ in chunks]
    assert offsets == sorted(offsets) and offsets[0] == 0


def test_utterances_split_on_punctuation_pause_and_speaker() -> None:
    words = [
        Word("Hello", 0.0, 0.4, 0.9),
        Word("there.", 0.4, 0.8, 0.9),
        Word("How", 1.0, 1.2, 0.9),
        Word("are", 1.2, 1.4, 0.9),
        Word("you", 3.0, 3.2, 0.9),
        Word("today", 3.2, 3.6, 0.9, speaker=1),
    ]
    utterances = split_utterances(words, pause_seconds=0.8)
    assert [u.text for u in utterances] == ["Hello there.", "How are", "you", "today"]
    assert utterances[0].start == 0.0 and utterances[0].end == 0.8
