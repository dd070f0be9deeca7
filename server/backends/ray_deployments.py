"""Ray Serve deployments behind the ingress: one per model (ASR) and one for the speaker/redaction stages.

Each runs in its own Ray worker process, so the CTranslate2 (models) and torch (speaker stages) stacks do not
share a process, and each scales with its own replicas and resources (`serve:` section of the YAML).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ray import serve

from models.audio import AudioDecodeError, iter_chunks, iter_pcm_blocks
from models.config import PulseConfig
from models.pipeline import PipelineResult, SpeakerOptions, TranscribeOptions, start_speaker_job, transcribe_file
from models.pool import PoolFull
from models.registry import ModelRegistry
from models.stages import Stages
from server.backends.cpu_limits import limit_torch, model_threads, pin_process
from server.serve_config import DeploymentConfig, ModelDeploymentConfig

log = logging.getLogger(__name__)

# The ingress maps these to the local backend's answers: 400 for bad audio, 429 when the model is at capacity.
DECODE_ERROR = "decode"
BUSY = "busy"


@dataclass
class Outcome:
    """A deployment's answer: a result, or an expected error the ingress turns into an HTTP status."""

    result: PipelineResult | None = None
    error_kind: str = ""
    message: str = ""
    retry_after: int = 0


def asr_only(options: TranscribeOptions) -> TranscribeOptions:
    """What the model deployment runs: ASR with word timing whenever a later stage attaches labels to words."""
    needs_words = options.word_timestamps or options.speakers.diarize or options.redact_pii or options.redact_pci
    return replace(options, word_timestamps=needs_words, speakers=SpeakerOptions(), redact_pii=False, redact_pci=False)


def needs_stages(options: TranscribeOptions) -> bool:
    return options.speakers.any or options.redact_pii or options.redact_pci


@serve.deployment
class ModelDeployment:
    """One public model (`pulse`, `pulse-pro`): pre-recorded requests that arrive together form a batch."""

    def __init__(self, config: PulseConfig, name: str, cache_dir: Path, spec: ModelDeploymentConfig) -> None:
        threads = spec.replica_threads
        if spec.pin_cpus:
            pin_process(threads)
        model = config.models[name]
        # CTranslate2 sizes its pools in code: cpu_threads × num_workers fitted to the replica's share.
        only = config.model_copy(update={"models": {name: model_threads(model, threads) if threads else model}})
        self.registry = ModelRegistry.load(only, cache_dir)
        loaded = self.registry.get(name)
        assert loaded is not None
        self.model = loaded
        self.transcribe.set_max_batch_size(spec.max_batch_size)
        self.transcribe.set_batch_wait_timeout_s(spec.batch_wait_timeout_s)

    async def _one(self, audio: bytes, options: TranscribeOptions) -> Outcome:
        # faster-whisper decodes one file at a time: a batch runs on the model's worker threads
        # (`num_workers`), whose bounded queue still answers "busy" beyond `max_queue`.
        try:
            result = await self.model.pool.run(
                lambda: transcribe_file(self.model, io.BytesIO(audio), asr_only(options), None)
            )
        except PoolFull as exc:
            return Outcome(error_kind=BUSY, message=str(exc), retry_after=exc.retry_after)
        except AudioDecodeError as exc:
            return Outcome(error_kind=DECODE_ERROR, message=str(exc))
        return Outcome(result=result)

    @serve.batch(max_batch_size=4, batch_wait_timeout_s=0.01)
    async def transcribe(self, requests: list[tuple[bytes, TranscribeOptions]]) -> list[Outcome]:
        return list(await asyncio.gather(*(self._one(audio, options) for audio, options in requests)))


@dataclass(frozen=True)
class Chunking:
    """The model's chunking and utterance settings, so the stages see the same chunks as the ASR did."""

    chunk_seconds: float
    search_seconds: float
    pause_seconds: float


def enrich(
    stages: Stages, audio: bytes, result: PipelineResult, options: TranscribeOptions, chunking: Chunking
) -> None:
    """Speakers and redaction on a finished transcript; the audio is cut into the same chunks as for ASR."""
    transcript = result.transcript
    job = start_speaker_job(stages, options.speakers)
    if job is not None:
        try:
            chunks = iter_chunks(iter_pcm_blocks(io.BytesIO(audio)), chunking.chunk_seconds, chunking.search_seconds)
            for offset, chunk in chunks:
                job.add_chunk(chunk, offset)
            job.finish(transcript, chunking.pause_seconds)
        finally:
            job.close()
        if not options.utterances:
            transcript.utterances = []
    if (options.redact_pii or options.redact_pci) and stages.redactor is not None:
        stages.redactor.redact_transcript(
            transcript, pii=options.redact_pii, pci=options.redact_pci, language=transcript.language
        )


@serve.deployment
class StagesDeployment:
    """Speaker analysis (diarization, gender, emotion) and redaction for pre-recorded requests."""

    def __init__(self, config: PulseConfig, spec: DeploymentConfig) -> None:
        if spec.pin_cpus:
            pin_process(spec.replica_threads)
        self.stages = Stages.load(config.stages)
        if spec.replica_threads:
            limit_torch(spec.replica_threads)

    async def enrich(
        self, audio: bytes, result: PipelineResult, options: TranscribeOptions, chunking: Chunking
    ) -> PipelineResult:
        started = time.perf_counter()
        await asyncio.to_thread(enrich, self.stages, audio, result, options, chunking)
        result.processing_seconds += time.perf_counter() - started
        return result
