"""Wire shapes of §3.4: a Transcript becomes the `pulse` (a) or `pulse-pro` (b) response body."""

from __future__ import annotations

from typing import Any

from models.transcript import Transcript, Utterance, Word


def word_json(word: Word) -> dict[str, Any]:
    body: dict[str, Any] = {"word": word.word, "start": word.start, "end": word.end, "confidence": word.confidence}
    if word.speaker is not None:
        body["speaker"] = word.speaker
        body["speaker_confidence"] = word.speaker_confidence
    return body


def utterance_json(utterance: Utterance) -> dict[str, Any]:
    body: dict[str, Any] = {"text": utterance.text, "start": utterance.start, "end": utterance.end}
    if utterance.speaker is not None:
        body["speaker"] = utterance.speaker
    body.update(utterance.extra)
    return body


def _enrichments(transcript: Transcript, body: dict[str, Any]) -> None:
    if transcript.gender is not None:
        body["gender"] = transcript.gender
    if transcript.emotions is not None:
        body["emotions"] = transcript.emotions


def pulse_response(
    transcript: Transcript, file_size: int, word_timestamps: bool, filename: str | None = None
) -> dict[str, Any]:
    """Shape (a): no top-level language or request_id; words/utterances empty unless asked."""
    metadata: dict[str, Any] = {"duration": transcript.duration, "fileSize": file_size}
    if filename is not None:
        metadata["filename"] = filename
    body: dict[str, Any] = {
        "status": "success",
        "transcription": transcript.text,
        "words": [word_json(w) for w in transcript.words] if word_timestamps else [],
        "utterances": [utterance_json(u) for u in transcript.utterances] if word_timestamps else [],
        "metadata": metadata,
    }
    _enrichments(transcript, body)
    return body


def pulse_pro_response(
    transcript: Transcript, file_size: int, word_timestamps: bool, processing_seconds: float, request_id: str
) -> dict[str, Any]:
    """Shape (b): language, processing metadata, totalBytes and request_id; no utterances."""
    processing_ms = round(processing_seconds * 1000, 1)
    rtfx = round(transcript.duration / processing_seconds, 1) if processing_seconds > 0 else 0.0
    return {
        "status": "success",
        "transcription": transcript.text,
        "words": [{k: v for k, v in word_json(w).items() if not k.startswith("speaker")} for w in transcript.words]
        if word_timestamps
        else [],
        "language": transcript.language or "en",
        "metadata": {
            "duration": transcript.duration,
            "processing_time_ms": processing_ms,
            "rtfx": rtfx,
            "num_chunks": transcript.num_chunks,
        },
        "totalBytes": file_size,
        "request_id": request_id,
    }
