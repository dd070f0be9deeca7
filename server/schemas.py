"""Wire shapes: a Transcript becomes the `pulse` (a) or `pulse-pro` (b) body (§3.4); live messages (§4.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from models.streaming.pipeline import LiveFinal
from models.streaming.runner import FinalEvent, PartialEvent
from models.transcript import Transcript, Utterance, Word

if TYPE_CHECKING:
    from server.live_params import LiveRequest


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


def live_error(message: str, **extra: Any) -> dict[str, Any]:
    """The unified WS error event (§4.4.4), sent just before the server closes the socket."""
    return {"type": "error", "status": "error", "message": message, **extra}


def transcription_message(
    session_id: str, event: PartialEvent | FinalEvent, request: LiveRequest, redacting: bool, full_transcript: str
) -> dict[str, Any]:
    """A partial or final `transcription` message (§4.4.1) for an event that went through the live pipeline."""
    final = isinstance(event, FinalEvent)
    text = event.segment.text if isinstance(event, FinalEvent) else event.text
    message: dict[str, Any] = {
        "type": "transcription",
        "status": "success",
        "session_id": session_id,
        "transcript": text,
        "transcription": text,
        "is_final": final,
        "is_last": isinstance(event, FinalEvent) and event.is_last,
    }
    if isinstance(event, FinalEvent):
        segment = event.segment
        message["from_finalize"] = event.from_finalize
        message["language"] = segment.language
        message["languages"] = [segment.language] if segment.language else []
        if request.word_timestamps:
            message["words"] = [word_json(w) for w in segment.words]
        if request.sentence_timestamps:
            utterances = segment.utterances if isinstance(segment, LiveFinal) else []
            message["utterances"] = [utterance_json(u) for u in utterances]
        if redacting:
            message["redacted_entities"] = segment.redacted_entities
    elif redacting:
        message["redacted_entities"] = event.entities
    if request.full_transcript:
        message["full_transcript"] = full_transcript
    return message


# OpenAPI description of the pre-recorded routes: the handlers read the raw body and query themselves
# (streaming, size-capped), so FastAPI cannot infer either; this says what they really accept.
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_FLAG = {"type": "string", "description": "`true` (any case) turns it on; any other value counts as false."}
_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "request_id": {"type": "string"}},
    "required": ["error"],
}
_REGION_ERROR = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in ("status", "error_code", "message", "language", "region")},
    "required": ["error_code", "message"],
}
_LEGACY_ERROR = {
    "type": "object",
    "properties": {"errors": {"type": "string"}, "status": {"type": "string"}, "message": {"type": "string"}},
    "required": ["errors"],
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the spec's `SttErrorResponse` JSON body (§3.6)."""
    return {
        status: {"description": _ERROR_DESCRIPTIONS[status], "content": {"application/json": {"schema": _ERROR}}}
        for status in statuses
    }


_ERROR_DESCRIPTIONS = {
    400: "Invalid parameter",
    401: "Missing or unknown API key",
    404: "Unknown (or another key's) request_id",
    503: "Async jobs are not enabled",
}


def install_openapi(app: FastAPI) -> None:
    """`/openapi.json` as FastAPI builds it, without the 422s this server never sends."""
    build = app.openapi
    app.openapi = lambda: drop_validation_responses(build())  # type: ignore[method-assign]


def drop_validation_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422 `HTTPValidationError` on every route with parameters; this server answers invalid
    parameters with a 400 `SttErrorResponse` (server/errors.py), so the 422s are removed from the schema."""
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _stt_parameters(legacy: bool) -> list[dict[str, Any]]:
    speakers = {"type": "integer", "minimum": 1, "maximum": 32}
    parameters = [
        _query("language", {"type": "string"}, "A language code or aggregator (`multi-eu`, `multi` …)."),
        *(_query(flag, _FLAG) for flag in ("word_timestamps", "diarize", "emotion_detection", "gender_detection")),
        *(
            _query(flag, {"type": "string"}, "`true` or a comma list turns redaction on; empty or `false` is off.")
            for flag in ("redact_pii", "redact_pci")
        ),
        *(
            _query(name, speakers, "Speaker-count hint (extension).")
            for name in ("num_speakers", "min_speakers", "max_speakers")
        ),
        _query(
            "encoding",
            {"type": "string"},
            "linear16 | linear32 | mulaw | alaw: the body is headerless PCM "
            "(unless it starts with a container header); other values are ignored.",
        ),
        _query("sample_rate", {"type": "integer", "minimum": 1, "maximum": 384000}, "Rate of headerless PCM."),
        _query("webhook_url", {"type": "string"}, "Answer `processing` at once and deliver the result here."),
        _query("webhook_method", {"type": "string", "pattern": "^([Gg][Ee][Tt]|[Pp][Oo][Ss][Tt])$"}),
        _query("webhook_extra", {"type": "string"}, "JSON object or `k:v,k2:v2` echoed in the callback."),
        _query("token", {"type": "string"}, "API key, as an alternative to `Authorization: Bearer`."),
        _query("numerals", {"type": "string"}, "Live-only formatting switch (§3.2): accepted and ignored on REST."),
        _query("keywords", {"type": "string"}, "Live-only keyword boosting (§8.3): accepted and ignored on REST."),
    ]
    if not legacy:
        model = {"type": "string", "enum": ["pulse", "pulse-pro"]}
        parameters.insert(0, _query("model", model, "Which model transcribes.", required=True))
    return parameters


def stt_openapi(legacy: bool = False) -> dict[str, Any]:
    """`openapi_extra` for `POST /waves/v1/stt/` (and the legacy `/waves/v1/pulse/get_text`)."""
    bad_request = {"anyOf": [_LEGACY_ERROR if legacy else _ERROR, _REGION_ERROR]}
    errors = {
        str(status): {"description": description, "content": {"application/json": {"schema": schema}}}
        for status, description, schema in [
            (400, "Invalid option or undecodable audio", bad_request),
            (401, "Missing or unknown API key", _ERROR),
            (403, "The key may not use this model", _ERROR),
            (413, "Body or decoded audio over the limit", _LEGACY_ERROR if legacy else _ERROR),
            (414, "Request URI too long", _ERROR),
            (429, "The model's queue is full (see Retry-After)", _ERROR),
            (503, "Async jobs are not enabled", _ERROR),
        ]
    }
    return {
        "parameters": _stt_parameters(legacy),
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": _BINARY,
                "audio/*": _BINARY,
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "application/json": {
                    "schema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}
                },
            },
        },
        "responses": {
            "200": {"description": "The transcription, or `{status: processing, request_id}` with a webhook"},
            **errors,
        },
    }
