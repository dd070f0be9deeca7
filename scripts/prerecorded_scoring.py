"""Scoring for the pre-recorded benchmark: WER, speech coverage, DER from a response, digit accuracy, CPU."""

from __future__ import annotations

import re
from pathlib import Path

import jiwer

from models.audio import decode_audio
from models.coverage import RESET_AFTER_SILENCE_MS, speech_coverage, speech_regions
from models.text import itn_text
from tests.helpers import normalise

COLLAR = 0.25


def corpus_wer(refs: list[str], hyps: list[str]) -> float:
    """WER over the whole set after Whisper's English normaliser on both sides (empty references left out)."""
    pairs = [(normalise(r), normalise(h)) for r, h in zip(refs, hyps, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return float("nan")
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])


def response_coverage(path: str | Path, body: dict, reset_after_silence_ms: int = RESET_AFTER_SILENCE_MS) -> float:
    """Share of the file's VAD speech (Silero, threshold 0.5, 500 ms) within 0.5 s of a returned word.

    The VAD's state is cleared after `reset_after_silence_ms` of quiet as the server's is; 0 carries it through
    the file as faster-whisper's VAD does, which stops hearing quiet speech after a pause.
    """
    audio = decode_audio(str(path))
    words = [(float(w["start"]), float(w["end"])) for w in body.get("words") or []]
    return speech_coverage(speech_regions(audio, reset_after_silence_ms=reset_after_silence_ms), words)


def reference_coverage(body: dict, rttm: Path) -> float:
    """Share of the reference's speech (the RTTM's turns) within 0.5 s of a returned word: speech the ASR drops is
    lost to every later stage (speakers of words, redaction)."""
    turns = []
    for line in rttm.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            turns.append((float(parts[3]), float(parts[3]) + float(parts[4])))
    words = [(float(w["start"]), float(w["end"])) for w in body.get("words") or []]
    return speech_coverage(turns, words)


def response_der(body: dict, rttm: Path) -> float:
    """DER (collar 0.25 s, overlap scored) of the speakers a response gives its utterances (words if none)."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference = Annotation()
    for i, line in enumerate(rttm.read_text().splitlines()):
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            reference[Segment(start, start + duration), i] = parts[7]
    hypothesis = Annotation()
    spans = body.get("utterances") or body.get("words") or []
    for i, span in enumerate(spans):
        if span.get("speaker") is not None and float(span["end"]) > float(span["start"]):
            hypothesis[Segment(float(span["start"]), float(span["end"])), i] = str(span["speaker"])
    return float(DiarizationErrorRate(collar=COLLAR)(reference, hypothesis))


def digits_after_itn(text: str) -> str:
    """The digit characters of `text` after the English ITN the `itn_normalize` switch applies."""
    return "".join(re.findall(r"\d", itn_text(text)))
