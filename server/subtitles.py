"""Subtitle cues (SRT, WebVTT) and plain text from a Transcript; shared by the OpenAI routes and the CLI.

Cues follow the sentence split (`utterances`) and are cut further so none runs past MAX_CUE_CHARS or
MAX_CUE_SECONDS; every cue starts at its first word's start and ends at its last word's end.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.transcript import Transcript, Word
from models.utterances import join_words

MAX_CUE_CHARS = 84  # two lines of 42, the usual broadcast limit
MAX_CUE_SECONDS = 7.0
CLAUSE_END = (",", ";", ":", "—")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: int | None = None


def _sentences(transcript: Transcript) -> list[list[Word]]:
    """Words grouped by utterance; all words in one group when no sentence split ran."""
    if not transcript.utterances:
        return [transcript.words] if transcript.words else []
    groups: list[list[Word]] = []
    index = 0
    for utterance in transcript.utterances:
        group: list[Word] = []
        while index < len(transcript.words) and transcript.words[index].start < utterance.end - 1e-6:
            group.append(transcript.words[index])
            index += 1
        if group:
            groups.append(group)
    if index < len(transcript.words):
        groups.append(transcript.words[index:])
    return groups


def build_cues(transcript: Transcript) -> list[Cue]:
    cues: list[Cue] = []
    for sentence in _sentences(transcript):
        current: list[Word] = []
        for word in sentence:
            candidate = [*current, word]
            too_long = len(join_words(candidate, transcript.language)) > MAX_CUE_CHARS
            too_slow = word.end - (current[0].start if current else word.start) > MAX_CUE_SECONDS
            if current and (too_long or too_slow):
                cut = _cut_point(current)
                cues.append(_cue(current[:cut], transcript.language))
                current = [*current[cut:], word]
            else:
                current = candidate
        if current:
            cues.append(_cue(current, transcript.language))
    return cues


def _cut_point(words: list[Word]) -> int:
    """Where a full cue ends: after its last clause punctuation in the second half, else after every word."""
    for index in range(len(words) - 1, len(words) // 2 - 1, -1):
        if words[index].word.endswith(CLAUSE_END):
            return index + 1
    return len(words)


def _cue(words: list[Word], language: str | None) -> Cue:
    return Cue(words[0].start, words[-1].end, join_words(words, language), words[0].speaker)


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{i}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n{c.text}\n" for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    blocks = [f"{_timestamp(c.start, '.')} --> {_timestamp(c.end, '.')}\n{c.text}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)
