"""Whisper engine on CTranslate2 (faster-whisper): one loaded model, many concurrent callers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions

from models.config import DecodeConfig, ModelConfig
from models.languages import LanguagePlan, pick_language
from models.transcript import Word
from models.weights import resolve_weights

log = logging.getLogger(__name__)


@dataclass
class ChunkResult:
    """What one ASR pass over one chunk of audio produced (times already offset)."""

    text: str
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None


@dataclass(frozen=True)
class AsrOptions:
    """Per-request decoding switches on top of the model's configured DecodeConfig."""

    plan: LanguagePlan
    word_timestamps: bool = False
    hotwords: str | None = None
    initial_prompt: str | None = None
    task: str = "transcribe"  # or "translate" (to English, multilingual models)


class WhisperEngine:
    """A faster-whisper model loaded once; `transcribe_chunk` is thread-safe."""

    def __init__(self, name: str, config: ModelConfig, cache_dir: Path) -> None:
        self.name = name
        self.config = config
        self.model_dir = resolve_weights(config.weights, cache_dir)
        log.info("loading %s from %s (%s, %s)", name, self.model_dir, config.device, config.compute_type)
        self.model = WhisperModel(
            str(self.model_dir),
            device=config.device,
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
            num_workers=config.num_workers,
            local_files_only=True,
        )
        self.supported_languages: frozenset[str] = frozenset(self.model.supported_languages)
        self.is_multilingual: bool = self.model.model.is_multilingual

    def _vad(self, decode: DecodeConfig) -> VadOptions:
        return VadOptions(
            threshold=decode.vad_threshold,
            min_silence_duration_ms=decode.vad_min_silence_ms,
            speech_pad_ms=decode.vad_speech_pad_ms,
        )

    def detect_language(
        self, audio: np.ndarray, candidates: tuple[str, ...], decode: DecodeConfig
    ) -> tuple[str, float]:
        """Most probable language among `candidates` on the speech of `audio`."""
        _, _, probabilities = self.model.detect_language(
            audio, vad_filter=decode.vad_filter, vad_parameters=self._vad(decode)
        )
        return pick_language(probabilities, candidates)

    def transcribe_chunk(
        self, audio: np.ndarray, options: AsrOptions, offset: float = 0.0, decode: DecodeConfig | None = None
    ) -> ChunkResult:
        """Transcribe one chunk; word and segment times come back on the caller's timeline."""
        decode = decode or self.config.batch
        language = options.plan.pinned if self.is_multilingual else "en"
        language_probability: float | None = None
        if language is None and options.plan.candidates:
            try:
                language, language_probability = self.detect_language(audio, options.plan.candidates, decode)
            except (ValueError, IndexError):  # no speech found by VAD: nothing to detect on
                return ChunkResult(text="", language=options.plan.candidates[0])
        segments, info = self.model.transcribe(
            audio,
            language=language,
            beam_size=decode.beam_size,
            best_of=decode.best_of,
            temperature=decode.temperature,
            condition_on_previous_text=decode.condition_on_previous_text,
            no_speech_threshold=decode.no_speech_threshold,
            log_prob_threshold=decode.log_prob_threshold,
            compression_ratio_threshold=decode.compression_ratio_threshold,
            word_timestamps=options.word_timestamps,
            vad_filter=decode.vad_filter,
            vad_parameters=self._vad(decode),
            hallucination_silence_threshold=decode.hallucination_silence_threshold,
            hotwords=options.hotwords,
            initial_prompt=options.initial_prompt,
            task=options.task,
        )
        texts: list[str] = []
        words: list[Word] = []
        for segment in segments:
            piece = segment.text.strip()
            if not piece:
                continue
            texts.append(piece)
            for w in segment.words or []:
                token = w.word.strip()
                if token:
                    words.append(
                        Word(
                            word=token,
                            start=round(offset + w.start, 3),
                            end=round(offset + w.end, 3),
                            confidence=round(float(w.probability), 4),
                        )
                    )
        joiner = "" if info.language in ("zh", "ja", "yue") else " "
        return ChunkResult(
            text=joiner.join(texts),
            words=words,
            language=info.language,
            language_probability=language_probability
            if language_probability is not None
            else info.language_probability,
        )
