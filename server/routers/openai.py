"""OpenAI-compatible audio API beside the Pulse one: `POST /v1/audio/transcriptions`, `/v1/audio/translations`,
`GET /v1/models`. Same models, pipeline, Bearer keys and limits; errors in OpenAI's `{"error": {...}}` shape."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile

from models.audio import AudioDecodeError
from models.pipeline import PipelineResult, TranscribeOptions, transcribe_file
from models.pool import PoolFull
from models.registry import LoadedModel
from models.transcript import Transcript
from server.auth import authenticate, check_entitlement
from server.errors import ApiError
from server.options import resolve_language
from server.prerecorded import RATE_LIMITED
from server.schemas import word_json
from server.subtitles import build_cues, to_srt, to_vtt

RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
GRANULARITIES = frozenset({"word", "segment"})
MAX_PROMPT_CHARS = 2000
ERROR_TYPES = {401: "invalid_request_error", 403: "permission_error", 429: "rate_limit_error"}
ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "message": {"type": "string"}, "type": {"type": "string"}, "param": {"type": ["string", "null"]},
        "code": {"type": ["string", "null"]}}, "required": ["message", "type"]}},
    "required": ["error"],
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these routes: OpenAI's error body on each status."""
    return {s: {"description": "OpenAI-shaped error", "content": {"application/json": {"schema": _ERROR_SCHEMA}}}
            for s in statuses}


class OpenAIError(ApiError):
    """An ApiError that also names the offending form field and an OpenAI error code."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(status, message)
        self.param = param
        self.code = code


def openai_error(error: ApiError) -> JSONResponse:
    param = error.param if isinstance(error, OpenAIError) else None
    code = error.code if isinstance(error, OpenAIError) else None
    kind = ERROR_TYPES.get(error.status, "server_error" if error.status >= 500 else "invalid_request_error")
    body = {"error": {"message": error.message, "type": kind, "param": param,
                      "code": code or ERROR_CODES.get(error.status)}}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


class OpenAIRoute(APIRoute):
    """Renders every ApiError raised on these routes in OpenAI's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as error:
                return openai_error(error)

        return handle


router = APIRouter(prefix="/v1", route_class=OpenAIRoute)


def _authorize(request: Request) -> Any:
    return authenticate(request.app.state.api_keys, request.headers, request.query_params, legacy=False)


def _model_names(request: Request) -> dict[str, str]:
    """Every name an OpenAI client may send → the configured model it runs on."""
    state = request.app.state
    loaded = set(state.registry.names())
    names = {name: name for name in loaded}
    names.update({alias: target for alias, target in state.config.openai.aliases.items() if target in loaded})
    return names


def _resolve_model(request: Request, name: str) -> LoadedModel:
    target = _model_names(request).get(name)
    if target is None:
        known = ", ".join(sorted(_model_names(request)))
        raise OpenAIError(400, f"The model '{name}' does not exist. Available: {known}.", param="model",
                          code="model_not_found")
    return request.app.state.registry.get(target)


def _text_field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OpenAIError(400, f"'{name}' must be a text field.", param=name)
    return value.strip() or None


def _temperature(form: FormData) -> float | None:
    raw = _text_field(form, "temperature")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise OpenAIError(400, f"'temperature' must be a number between 0 and 1, got {raw!r}.", param="temperature")
    return value


def _granularities(form: FormData) -> frozenset[str]:
    values = [*form.getlist("timestamp_granularities[]"), *form.getlist("timestamp_granularities")]
    chosen = frozenset(str(v).strip() for v in values if str(v).strip())
    if chosen - GRANULARITIES:
        raise OpenAIError(400, f"'timestamp_granularities[]' accepts word and segment, got {sorted(chosen)}.",
                          param="timestamp_granularities")
    return chosen or frozenset({"segment"})


async def _read_form(request: Request) -> FormData:
    limit = request.app.state.config.limits.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise OpenAIError(413, f"File size exceeds maximum limit of {limit // (1024 * 1024)}MB.", param="file")
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise OpenAIError(400, "Send the audio as multipart/form-data with a 'file' field.", param="file")
    try:
        return await request.form()
    except Exception as exc:  # python-multipart's parse errors are plain exceptions
        raise OpenAIError(400, f"Could not parse the multipart body: {exc}", param="file") from None


async def _run(request: Request, model: LoadedModel, upload: UploadFile, options: TranscribeOptions) -> PipelineResult:
    state = request.app.state
    try:
        result = await model.pool.run(lambda: transcribe_file(model, upload.file, options, state.stages))
    except PoolFull as exc:
        raise ApiError(429, RATE_LIMITED, headers={"Retry-After": str(exc.retry_after)}) from None
    except AudioDecodeError as exc:
        raise OpenAIError(400, str(exc), param="file") from None
    state.metrics.observe_transcription(model.name, result.transcript.duration, result.processing_seconds)
    return result


def _segments(transcript: Transcript, temperature: float) -> list[dict[str, Any]]:
    """OpenAI segment objects from our sentence split; log-probs come from the words' confidences."""
    segments = []
    for index, utterance in enumerate(transcript.utterances):
        words = [w for w in transcript.words if utterance.start <= w.start < utterance.end + 1e-6]
        confidences = [max(w.confidence, 1e-6) for w in words] or [1.0]
        encoded = utterance.text.encode()
        segments.append({
            "id": index, "seek": 0, "start": utterance.start, "end": utterance.end, "text": utterance.text,
            "tokens": [], "temperature": temperature,
            "avg_logprob": round(sum(math.log(c) for c in confidences) / len(confidences), 4),
            "compression_ratio": round(len(encoded) / max(1, len(zlib.compress(encoded))), 4),
            "no_speech_prob": 0.0,
        })
    return segments


def render(result: PipelineResult, response_format: str, granularities: frozenset[str], task: str,
           temperature: float) -> Response:
    transcript = result.transcript
    usage = {"type": "duration", "seconds": math.ceil(transcript.duration)}
    if response_format == "text":
        return PlainTextResponse(transcript.text + "\n")
    if response_format == "srt":
        return PlainTextResponse(to_srt(build_cues(transcript)))
    if response_format == "vtt":
        return PlainTextResponse(to_vtt(build_cues(transcript)), media_type="text/vtt")
    if response_format == "json":
        return JSONResponse({"text": transcript.text, "usage": usage})
    body: dict[str, Any] = {"task": task, "language": "en" if task == "translate" else transcript.language,
                            "duration": transcript.duration, "text": transcript.text}
    if "segment" in granularities:
        body["segments"] = _segments(transcript, temperature)
    if "word" in granularities:
        body["words"] = [{k: v for k, v in word_json(w).items() if k in ("word", "start", "end")}
                         for w in transcript.words]
    body["usage"] = usage
    return JSONResponse(body)


async def _audio(request: Request, task: str) -> Response:
    key = _authorize(request)
    form = await _read_form(request)
    try:
        return await _answer(request, task, key, form)
    finally:
        await form.close()


async def _answer(request: Request, task: str, key: Any, form: FormData) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise OpenAIError(400, "Missing required field 'file' (the audio file).", param="file")
    limit = request.app.state.config.limits.max_upload_bytes
    if upload.size is not None and upload.size > limit:  # a chunked body has no content-length to check first
        raise OpenAIError(413, f"File size exceeds maximum limit of {limit // (1024 * 1024)}MB.", param="file")
    name = _text_field(form, "model")
    if name is None:
        raise OpenAIError(400, "Missing required field 'model'.", param="model")
    model = _resolve_model(request, name)
    request.state.metrics_model = model.name
    check_entitlement(key, model.name)
    response_format = _text_field(form, "response_format") or "json"
    if response_format not in RESPONSE_FORMATS:
        raise OpenAIError(400, f"'response_format' must be one of {', '.join(RESPONSE_FORMATS)}.",
                          param="response_format")
    granularities = _granularities(form)
    prompt = _text_field(form, "prompt")
    if prompt is not None and len(prompt) > MAX_PROMPT_CHARS:
        raise OpenAIError(400, f"'prompt' is longer than {MAX_PROMPT_CHARS} characters.", param="prompt")
    temperature = _temperature(form)
    if task == "translate" and not model.engine.is_multilingual:
        raise OpenAIError(400, f"The model '{name}' is English-only; translations need a multilingual model "
                          "(pulse).", param="model")
    try:
        plan = resolve_language(model, _text_field(form, "language") if task == "transcribe" else None)
    except ApiError as exc:
        raise OpenAIError(400, exc.message, param="language", code="unsupported_language") from None
    decode = model.config.batch
    if temperature is not None:
        decode = decode.model_copy(update={"temperature": [temperature]})
    options = TranscribeOptions(language=plan, word_timestamps=True, utterances=True, asr_task=task,
                                prompt=prompt, decode=decode)
    result = await _run(request, model, upload, options)
    return render(result, response_format, granularities, task, decode.temperature[0])


@router.post("/audio/transcriptions", responses=_errors(400, 401, 403, 413, 429))
async def transcriptions(request: Request) -> Response:
    return await _audio(request, "transcribe")


@router.post("/audio/translations", responses=_errors(400, 401, 403, 413, 429))
async def translations(request: Request) -> Response:
    return await _audio(request, "translate")


def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "pulse-server"}


@router.get("/models", responses=_errors(401))
async def models(request: Request) -> dict[str, Any]:
    _authorize(request)
    return {"object": "list", "data": [_model_card(name) for name in sorted(_model_names(request))]}


@router.get("/models/{name}", responses=_errors(401, 404))
async def model(request: Request, name: str) -> dict[str, Any]:
    _authorize(request)
    if name not in _model_names(request):
        raise OpenAIError(404, f"The model '{name}' does not exist.", param="model", code="model_not_found")
    return _model_card(name)
