"""Pre-recorded pipeline: decode → chunk → ASR (+ speaker embeddings) → words/utterances → speakers → redaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from models.asr import AsrOptions
from models.audio import SAMPLE_RATE, DecodeLimits, RawPcm, iter_chunks, iter_pcm_blocks
from models.config import DecodeConfig
from models.languages import LanguagePlan
from models.registry import LoadedModel
from models.speakers import SpeakerJob
from models.stages import Stages
from models.transcript import Transcript
from models.utterances import NO_SPACE_LANGUAGES, split_utterances


@dataclass(frozen=True)
class SpeakerOptions:
    diarize: bool = False
    gender: bool = False
    emotion: bool = False
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None

    @property
    def any(self) -> bool:
        return self.diarize or self.gender or self.emotion


@dataclass(frozen=True)
class TranscribeOptions:
    """What the caller asked for, already validated by the transport layer."""

    language: LanguagePlan
    word_timestamps: bool = False
    utterances: bool = False
    speakers: SpeakerOptions = SpeakerOptions()
    redact_pii: bool = False
    redact_pci: bool = False
    decode_limits: DecodeLimits = DecodeLimits()
    raw_pcm: RawPcm | None = None
    # OpenAI-compatible API: translate to English, an initial prompt, a per-request decoding override.
    asr_task: str = "transcribe"
    prompt: str | None = None
    decode: DecodeConfig | None = None
    # Called with the seconds of audio done after each chunk (the CLI's progress bar).
    progress: Callable[[float], None] | None = None


@dataclass
class PipelineResult:
    transcript: Transcript
    processing_seconds: float


def start_speaker_job(stages: Stages, s: SpeakerOptions) -> SpeakerJob | None:
    """One request's speaker job; None when it asks for no speaker option or the stages are not loaded."""
    if not s.any or stages.speakers is None:
        return None
    return stages.speakers.start(
        diarize=s.diarize,
        gender=s.gender,
        emotion=s.emotion,
        num_speakers=s.num_speakers,
        min_speakers=s.min_speakers,
        max_speakers=s.max_speakers,
    )


def transcribe_file(
    model: LoadedModel, source: BinaryIO, options: TranscribeOptions, stages: Stages | None = None
) -> PipelineResult:
    """Run the whole pre-recorded pipeline on one file; blocking, meant for a worker thread.

    Audio is decoded and transcribed chunk by chunk, so memory stays bounded; the speaker stages
    keep only a compact embedding track per chunk and decide once the whole file has been seen.
    """
    started = time.perf_counter()
    engine, config = model.engine, model.config
    stages = stages or Stages()
    plan = options.language
    speaker_job = start_speaker_job(stages, options.speakers)
    # Speaker labels and redaction spans are attached to words, so they need word timing.
    need_words = options.word_timestamps or options.speakers.diarize or options.redact_pii or options.redact_pci
    texts: list[str] = []
    transcript = Transcript(text="")
    samples = 0
    try:
        chunks = iter_chunks(iter_pcm_blocks(source, limits=options.decode_limits, raw=options.raw_pcm), config.chunk_seconds, config.chunk_search_seconds)
        for index, (offset, audio) in enumerate(chunks):
            samples += audio.size
            transcript.num_chunks = index + 1
            asr = AsrOptions(plan=plan, word_timestamps=need_words, initial_prompt=options.prompt, task=options.asr_task)
            result = engine.transcribe_chunk(audio, asr, offset, options.decode)
            if speaker_job is not None:
                speaker_job.add_chunk(audio, offset)
            if result.language and result.text:
                if plan.pinned is None:
                    # Detect once on the first chunk with speech, then keep that language so a long
                    # file does not flip languages on a quiet or ambiguous stretch.
                    plan = LanguagePlan(plan.requested, result.language, None)
                if transcript.language is None:
                    transcript.language = result.language
                    transcript.language_probability = result.language_probability
            if result.text:
                texts.append(result.text)
            transcript.words.extend(result.words)
            if options.progress is not None:
                options.progress(samples / SAMPLE_RATE)
        if transcript.language is None:
            transcript.language = plan.pinned or (plan.candidates[0] if plan.candidates else None)
        transcript.languages = [transcript.language] if transcript.language else []
        joiner = "" if transcript.language in NO_SPACE_LANGUAGES else " "
        transcript.text = joiner.join(texts)
        transcript.duration = round(samples / SAMPLE_RATE, 3)
        if options.utterances and transcript.words:
            transcript.utterances = split_utterances(
                transcript.words, config.utterance_pause_seconds, transcript.language
            )
        if speaker_job is not None:
            speaker_job.finish(transcript, config.utterance_pause_seconds)
            if not options.utterances:
                transcript.utterances = []
    finally:
        if speaker_job is not None:
            speaker_job.close()
    if (options.redact_pii or options.redact_pci) and stages.redactor is not None:
        stages.redactor.redact_transcript(
            transcript, pii=options.redact_pii, pci=options.redact_pci, language=transcript.language
        )
    return PipelineResult(transcript, time.perf_counter() - started)
