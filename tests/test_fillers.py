"""Hesitation words are recognised as such, whatever their case and punctuation; real words are not."""

from __future__ import annotations

import pytest

from models.text.words import is_filler


@pytest.mark.parametrize("word", [" Um,", "uh.", " Hmm?", " er", "Er-", "MHM", "umm…"])
def test_hesitations_are_fillers(word: str) -> None:
    assert is_filler(word)


@pytest.mark.parametrize("word", [" under", "hum", " Ah,", "umbrella", "err", " her", "", " ."])
def test_words_are_not_fillers(word: str) -> None:
    assert not is_filler(word)
