"""Pre-recorded request flow shared by the sync route and the async job worker: pipeline → wire body → log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, BinaryIO

from starlette.datastructures import State

from models.audio import AudioDecodeError, AudioTooLong, DecodeLimits
from models.pipeline import PipelineResult, transcribe_file
from models.pool import PoolFull
from server.errors import ApiError
from server.jobs import JobError, JobRecord, LogEntry
from server.options import PrerecordedRequest, parse_prerecorded
from server.schemas import pulse_pro_response, pulse_response

log = logging.getLogger(__name__)

RATE_LIMITED = "Rate limit exceeded. Please retry after a short backoff."
# Query parameters that never enter a stored job: credentials and the async envelope itself.
_NOT_STORED = frozenset({"token", "webhook_url", "webhook_method", "webhook_extra"})


def busy(retry_after: int) -> ApiError:
    return ApiError(429, RATE_LIMITED, headers={"Retry-After": str(retry_after)})


def stored_options(params: Mapping[str, str]) -> dict[str, str]:
    """The query options a job keeps so the worker can rebuild the same request later."""
    return {k: v for k, v in params.items() if k not in _NOT_STORED}


def build_body(
    parsed: PrerecordedRequest, result: PipelineResult, size: int, request_id: str, filename: str | None
) -> dict[str, Any]:
    if parsed.model.name == "pulse-pro":
        return pulse_pro_response(
            result.transcript, size, parsed.word_timestamps, result.processing_seconds, request_id
        )
    return pulse_response(result.transcript, size, parsed.word_timestamps, filename=filename)


async def run_pipeline(state: State, parsed: PrerecordedRequest, source: BinaryIO) -> PipelineResult:
    """Run the blocking pipeline on the model's pool; map input errors to 400/413 and a full pool to 429."""
    limits = state.config.limits
    options = parsed.pipeline_options(DecodeLimits(limits.max_audio_seconds, limits.min_sample_rate))
    try:
        remote = getattr(state, "remote_pipeline", None)  # the Ray Serve backend's deployments
        if remote is not None:
            result = await remote(parsed, source, options)
        else:
            result = await parsed.model.pool.run(lambda: transcribe_file(parsed.model, source, options, state.stages))
    except PoolFull as exc:
        raise busy(exc.retry_after) from None
    except AudioTooLong as exc:
        raise ApiError(413, str(exc)) from None
    except AudioDecodeError as exc:
        raise ApiError(400, str(exc)) from None
    state.metrics.observe_transcription(parsed.model.name, result.transcript.duration, result.processing_seconds)
    return result


async def record(
    state: State,
    parsed: PrerecordedRequest,
    params: Mapping[str, str],
    body: dict[str, Any],
    size: int,
    request_id: str,
    owner: str,
    request_type: str = "rest",
) -> None:
    """Write the request-log row (metadata; the transcript only if the operator enabled it)."""
    jobs = getattr(state, "jobs", None)
    if jobs is None:
        return
    entry = LogEntry.for_request(
        parsed.features,
        body.get("transcription", ""),
        jobs.config.store.log_transcripts,
        request_id=request_id,
        request_type=request_type,
        model=parsed.model.name,
        language=params.get("language", "") or "",
        duration=float(body.get("metadata", {}).get("duration", 0.0)),
        file_size=size,
        word_timestamps=parsed.word_timestamps,
        emotions=str(body.get("emotions", "")) if "emotions" in body else "",
        gender=str(body.get("gender", "")),
        webhook_url=params.get("webhook_url", "") or "",
        owner=owner,
    )
    try:
        await jobs.log_request(entry)
    except Exception:  # the log must never fail a transcription that succeeded
        log.exception("request log write failed for %s", request_id)


def make_job_processor(state: State):  # noqa: ANN201 — returns the worker's ProcessFn
    """The async job worker's `process`: rebuild the request from stored options and run it."""

    async def process(job: JobRecord) -> dict[str, Any]:
        try:
            parsed = parse_prerecorded(
                state.registry,
                job.options,
                default_model=job.model,
                default_language=None,
                enabled_features=state.enabled_features,
            )
        except ApiError as exc:
            raise JobError(exc.message) from None
        if job.audio_path is None or not job.audio_path.exists():
            raise JobError("the job's audio is no longer on disk")
        size = job.audio_path.stat().st_size
        try:
            with job.audio_path.open("rb") as source:
                result = await run_pipeline(state, parsed, source)
        except ApiError as exc:
            # A full pool is worth retrying later; bad audio is not.
            raise JobError(exc.message, retryable=exc.status == 429) from None
        filename = job.options.get("_filename")
        body = build_body(parsed, result, size, job.request_id, filename)
        await record(state, parsed, job.options, body, size, job.request_id, job.owner)
        return body

    return process
