"""Pre-recorded pipeline: decode → chunk → ASR → words/utterances (later stages enrich the Transcript)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import BinaryIO

from models.asr import AsrOptions
from models.audio import SAMPLE_RATE, iter_chunks, iter_pcm_blocks
from models.languages import LanguagePlan
from models.registry import LoadedModel
from models.transcript import Transcript
from models.utterances import split_utterances


@dataclass(frozen=True)
class TranscribeOptions:
    """What the caller asked for, already validated by the transport layer."""

    language: LanguagePlan
    word_timestamps: bool = False
    utterances: bool = False


@dataclass
class PipelineResult:
    transcript: Transcript
    processing_seconds: float


def transcribe_file(model: LoadedModel, source: BinaryIO, options: TranscribeOptions) -> PipelineResult:
    """Run the whole pre-recorded pipeline on one file; blocking, meant for a worker thread."""
    started = time.perf_counter()
    engine, config = model.engine, model.config
    plan = options.language
    texts: list[str] = []
    transcript = Transcript(text="")
    samples = 0
    chunks = iter_chunks(iter_pcm_blocks(source), config.chunk_seconds, config.chunk_search_seconds)
    for index, (offset, audio) in enumerate(chunks):
        samples += audio.size
        transcript.num_chunks = index + 1
        result = engine.transcribe_chunk(audio, AsrOptions(plan=plan, word_timestamps=options.word_timestamps), offset)
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
    if transcript.language is None:
        transcript.language = plan.pinned or (plan.candidates[0] if plan.candidates else None)
    transcript.languages = [transcript.language] if transcript.language else []
    joiner = "" if transcript.language in ("zh", "ja", "yue") else " "
    transcript.text = joiner.join(texts)
    transcript.duration = round(samples / SAMPLE_RATE, 3)
    if options.utterances and transcript.words:
        transcript.utterances = split_utterances(transcript.words, config.utterance_pause_seconds, transcript.language)
    return PipelineResult(transcript, time.perf_counter() - started)
