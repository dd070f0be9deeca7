"""Sentence-level utterances from timed words: split on sentence punctuation and long pauses."""

from __future__ import annotations

from models.transcript import Utterance, Word

SENTENCE_END = (".", "?", "!", "。", "？", "！", "…")
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "yue", "th"})


def join_words(words: list[Word], language: str | None = None) -> str:
    return ("" if language in NO_SPACE_LANGUAGES else " ").join(w.word for w in words)


def split_utterances(words: list[Word], pause_seconds: float, language: str | None = None) -> list[Utterance]:
    """Group words into sentences; a speaker change (when words carry speakers) also splits."""
    utterances: list[Utterance] = []
    current: list[Word] = []

    def flush() -> None:
        if current:
            utterances.append(
                Utterance(
                    text=join_words(current, language),
                    start=current[0].start,
                    end=current[-1].end,
                    speaker=current[0].speaker,
                )
            )
            current.clear()

    for word in words:
        if current and (
            word.start - current[-1].end >= pause_seconds
            or (word.speaker is not None and word.speaker != current[-1].speaker)
        ):
            flush()
        current.append(word)
        if word.word.endswith(SENTENCE_END):
            flush()
    flush()
    return utterances
