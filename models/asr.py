"""Whisper engine on CTranslate2 (faster-whisper): one loaded model, many concurrent callers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.transcribe import get_compression_ratio

from models.batching import DecodedSegment, WindowBatcher, WindowKey
from models.config import DecodeConfig, ModelConfig
from models.coverage import (
    SAMPLE_RATE,
    SilenceGate,
    Span,
    extend_to_speech_end,
    loud_spans,
    speech_coverage,
    speech_regions,
    uncovered_stretches,
)
from models.ct2_threads import SplitThreadsModel, load_local_whisper, split_threads
from models.forward_process import ForwardSpec, ProcessForward
from models.languages import LanguagePlan, pick_language
from models.priority import call_at_priority
from models.text.words import is_filler
from models.transcript import Word
from models.utterances import NO_SPACE_LANGUAGES
from models.weights import resolve_weights
from models.windows import WINDOW_SECONDS, Window, pad_regions, plan_windows

log = logging.getLogger(__name__)


@dataclass
class ChunkResult:
    """What one ASR pass over one chunk of audio produced (times already offset)."""

    text: str
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None


@dataclass
class _Piece:
    """Decoded text of one segment (or of a re-decoded stretch), times in seconds of the chunk."""

    start: float
    text: str
    words: list[Word]
    window: int = 0  # index of the decoded window it came from


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

        def load(threads: int) -> WhisperModel:
            # Loaded at the model's niceness: its CTranslate2 worker threads keep it.
            return call_at_priority(lambda: load_local_whisper(
                str(self.model_dir), config.device, config.compute_type, threads, config.num_workers
            ), config.nice)

        self.model = load(config.cpu_threads)
        self._load = load
        self._decoding_model: WhisperModel | SplitThreadsModel | None = None
        self.supported_languages: frozenset[str] = frozenset(self.model.supported_languages)
        self.is_multilingual: bool = self.model.model.is_multilingual
        batch = config.batch
        self.forward_process: ProcessForward | None = None
        if config.prerecorded_process and config.device == "cpu":
            self.forward_process = ProcessForward(ForwardSpec(
                str(self.model_dir), config.device, config.compute_type, config.cpu_threads, config.generate_threads,
                config.num_workers, config.nice, batch.batch_encode,
            ), name)
        self.batcher = WindowBatcher(
            # In a child, windows decode there; here the model only makes their features.
            self.model if self.forward_process else self.decoding_model, batch.batch_size, batch.batch_gather_ms,
            name, batch.full_window, batch.window_step_seconds, nice=config.nice, batch_encode=batch.batch_encode,
            forward=self.forward_process,
        )

    @property
    def decoding_model(self) -> WhisperModel | SplitThreadsModel:
        """The model as windows are decoded in this process: generation and alignment on `generate_threads`
        (models/ct2_threads.py). Loaded on first use when pre-recorded windows decode in a child process."""
        if self._decoding_model is None:
            self._decoding_model = split_threads(self.model, self._load, self.config.generate_threads,
                                                 self.config.cpu_threads, self.config.device)
        return self._decoding_model

    def _language(self, audio: np.ndarray, plan: LanguagePlan, regions: list[Span]) -> tuple[str | None, float]:
        """The decoding language: pinned, or detected (among the plan's candidates); None without speech.

        Detection hears only the speech `regions` (the VAD's, padded), so Silero runs once per chunk.
        """
        if not self.is_multilingual:
            return "en", 1.0
        if plan.pinned is not None:
            return plan.pinned, 1.0
        if not regions:
            return None, 0.0
        sound = np.concatenate([audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in regions])
        try:
            _, _, probabilities = self.model.detect_language(sound, vad_filter=False)
        except (ValueError, IndexError):  # too little audio to detect on
            return None, 0.0
        if plan.candidates:
            return pick_language(probabilities, plan.candidates)
        return probabilities[0][0], float(probabilities[0][1])

    @staticmethod
    def loud(audio: np.ndarray, decode: DecodeConfig) -> list[tuple[int, int]]:
        """Sample ranges of `audio` worth a VAD pass (the energy gate of `decode`)."""
        if not decode.vad_filter:
            return [(0, audio.size)] if audio.size else []
        return loud_spans(audio, SilenceGate(decode.vad_silence_gate_dbfs, decode.vad_silence_gate_seconds))

    def speech(
        self, audio: np.ndarray, decode: DecodeConfig, spans: list[tuple[int, int]] | None = None
    ) -> tuple[list[Span], list[Span]]:
        """(VAD speech regions, the same padded for decoding) in seconds of `audio`; only `spans` go through the VAD."""
        duration = audio.size / SAMPLE_RATE
        if not decode.vad_filter:
            return [(0.0, duration)], [(0.0, duration)]
        pad = decode.vad_speech_pad_ms / 1000
        core = speech_regions(
            audio, decode.vad_threshold, decode.vad_min_silence_ms, WINDOW_SECONDS - 2 * pad - 0.1,
            spans=self.loud(audio, decode) if spans is None else spans,
            reset_after_silence_ms=decode.vad_reset_after_silence_ms,
        )
        return core, pad_regions(core, pad, duration)

    def transcribe_chunk(
        self, audio: np.ndarray, options: AsrOptions, offset: float = 0.0, decode: DecodeConfig | None = None
    ) -> ChunkResult:
        """Transcribe one chunk; word and segment times come back on the caller's timeline.

        Speech regions are packed into windows decoded independently (batched with other
        requests); a speech stretch no word covers afterwards is decoded again on its own.
        """
        decode = decode or self.config.batch
        core, regions = self.speech(audio, decode)
        language, language_probability = self._language(audio, options.plan, regions)
        if language is None or not regions:
            fallback = options.plan.pinned or (options.plan.candidates or ("en",))[0]
            return ChunkResult(text="", language=language or fallback)
        key = WindowKey(language, decode.beam_size, True, options.initial_prompt, options.hotwords,
                        task=options.task, temperature=decode.temperature[0] if decode.temperature else 0.0)
        windows = plan_windows(regions)
        pieces = self._decode(audio, windows, key, decode, None)
        if decode.window_redecode_coverage > 0 and len(regions) > 1:
            pieces = self._split_skipped_windows(audio, windows, pieces, core, key, decode)
        if decode.redecode_min_seconds > 0:
            spans = [(w.start, w.end) for piece in pieces for w in piece.words]
            gaps = uncovered_stretches(core, spans, decode.coverage_tolerance_seconds, decode.redecode_min_seconds)
            if gaps:
                log.debug("%s: re-decoding %d speech stretch(es) no word covered", self.name, len(gaps))
                pieces += self._decode(audio, _around(gaps, decode.vad_speech_pad_ms / 1000, audio), key, decode, gaps)
                if decode.redecode_context_seconds > 0:
                    pieces += self._decode_in_context(audio, pieces, gaps, key, decode)
        pieces.sort(key=lambda piece: piece.start)
        extend_to_speech_end([w for piece in pieces for w in piece.words], core, decode.word_end_snap_seconds)
        joiner = "" if language in NO_SPACE_LANGUAGES else " "
        words = [
            Word(w.word, round(float(offset + w.start), 3), round(float(offset + w.end), 3), w.confidence)
            for piece in pieces
            for w in piece.words
        ]
        return ChunkResult(
            text=joiner.join(piece.text for piece in pieces if piece.text),
            words=words if options.word_timestamps else [],
            language=language,
            language_probability=language_probability,
        )

    def _decode_in_context(
        self, audio: np.ndarray, pieces: list[_Piece], gaps: list[Span], key: WindowKey, decode: DecodeConfig
    ) -> list[_Piece]:
        """Stretches still without a word, decoded once more with `redecode_context_seconds` of audio around them.

        On a lone stretch of a fraction of a second (a far-field "yeah" in a meeting) Whisper often returns
        nothing; the real audio around it lets it place the word. Words from the context are already
        transcribed, so only words whose middle falls inside the stretch itself are kept.
        """
        tolerance = decode.coverage_tolerance_seconds
        spans = [(w.start, w.end) for piece in pieces for w in piece.words]
        empty = [gap for gap in gaps if uncovered_stretches([gap], spans, tolerance, 0.0) == [gap]]  # no word touches it
        if not empty:
            return []
        log.debug("%s: %d stretch(es) still without words; decoding them in context", self.name, len(empty))
        return self._decode(audio, _around(empty, decode.redecode_context_seconds, audio), key, decode, empty,
                            keep_tolerance=0.0)

    def _split_skipped_windows(
        self,
        audio: np.ndarray,
        windows: list[Window],
        pieces: list[_Piece],
        core: list[Span],
        key: WindowKey,
        decode: DecodeConfig,
    ) -> list[_Piece]:
        """Decode again, one region per window, each multi-region window whose words cover too little of its speech.

        Whisper sometimes jumps past most of a window packed from several regions (or emits one phrase with
        timings pinned to the wrong region); the regions decoded on their own replace such a window's output.
        """
        tolerance = decode.coverage_tolerance_seconds
        retry: list[int] = []
        for i, window in enumerate(windows):
            if len(window.regions) < 2:
                continue
            speech = [(max(s, ws), min(e, we)) for ws, we in window.regions for s, e in core if s < we and e > ws]
            words = [(w.start, w.end) for piece in pieces if piece.window == i for w in piece.words]
            if speech_coverage(speech, words, tolerance) < decode.window_redecode_coverage:
                retry.append(i)
        if not retry:
            return pieces
        log.debug("%s: %d window(s) mostly skipped; decoding their regions one by one", self.name, len(retry))
        singles = [Window((region,)) for i in retry for region in windows[i].regions]
        kept = [piece for piece in pieces if piece.window not in retry]
        return kept + self._decode(audio, singles, key, decode, None)

    def _decode(
        self,
        audio: np.ndarray,
        windows: list[Window],
        key: WindowKey,
        decode: DecodeConfig,
        keep: list[Span] | None,
        keep_tolerance: float | None = None,
    ) -> list[_Piece]:
        """Decode windows; with `keep` (one span per window), only words inside those spans (± `keep_tolerance`,
        by default the coverage tolerance) are kept."""
        audios = [window.audio(audio) for window in windows]
        outputs = self._unlooped(audios, self.batcher.decode(key, audios), key, decode, keep is not None)
        tolerance = decode.coverage_tolerance_seconds if keep_tolerance is None else keep_tolerance
        pad = decode.vad_speech_pad_ms / 1000
        pieces: list[_Piece] = []
        for index, (window, segments) in enumerate(zip(windows, outputs, strict=True)):
            for segment in segments:
                if (
                    segment.no_speech_prob > decode.no_speech_threshold
                    and segment.avg_logprob < decode.log_prob_threshold
                ):
                    continue  # Whisper's own silence rule: the window holds no speech it trusts
                words = [
                    Word(
                        word=w["word"],
                        start=window.to_file_time(w["start"]),
                        end=window.to_file_time(w["end"]),
                        confidence=round(float(w["probability"]), 4),
                    )
                    for w in segment.words
                    if w["word"].strip()
                ]
                text = segment.text.strip()
                if decode.drop_fillers and key.language == "en" and any(is_filler(w.word) for w in words):
                    words = [w for w in words if not is_filler(w.word)]
                    text = "".join(w.word for w in words).strip()
                piled = _piled_up(words, decode.drop_piled_words)
                if piled:
                    words = [w for i, w in enumerate(words) if i not in piled]
                    text = "".join(w.word for w in words).strip()
                if keep is not None:
                    words = [w for w in words if _inside((w.start + w.end) / 2, [keep[index]], tolerance)]
                    # counted over the stretch and its speech padding, not over context decoded around them
                    heard = min(window.duration, keep[index][1] - keep[index][0] + 2 * pad)
                    limit = decode.redecode_max_words_per_second * heard + 1
                    if decode.redecode_max_words_per_second > 0 and len(words) > limit:
                        words = []  # more words than the audio decoded can hold: a made-up sentence
                    text = "".join(w.word for w in words).strip()
                if not text:
                    continue
                start = words[0].start if words else window.to_file_time(segment.start)
                words = [Word(w.word.strip(), w.start, w.end, w.confidence) for w in words]
                pieces.append(_Piece(start, text, words, index))
        return pieces

    def _unlooped(
        self,
        audios: list[np.ndarray],
        outputs: list[list[DecodedSegment]],
        key: WindowKey,
        decode: DecodeConfig,
        stretches: bool,
    ) -> list[list[DecodedSegment]]:
        """Hallucination guard: windows that came back as a repetition loop (text compressing beyond
        compression_ratio_threshold) are decoded again with repeated n-grams forbidden (deterministic, unlike a
        temperature fallback); re-decoded `stretches` that loop are dropped instead when drop_looping_stretches."""
        threshold = decode.compression_ratio_threshold
        looping = [i for i, segments in enumerate(outputs) if _compression_ratio(segments) > threshold]
        if looping and stretches and decode.drop_looping_stretches:
            # A lone stretch of a second or two gives Whisper no speech to follow: a loop there is made up
            # (asr_en 1089-134691-0001: the last 0.16 s of "longer" came back as "I'm sorry, I'm sorry, …").
            log.debug("%s: %d re-decoded stretch(es) looped; dropped", self.name, len(looping))
            return [[] if i in looping else segments for i, segments in enumerate(outputs)]
        if looping and decode.loop_no_repeat_ngram_size > 0:
            log.debug("%s: %d window(s) looped; decoding them again", self.name, len(looping))
            retry = replace(key, no_repeat_ngram_size=decode.loop_no_repeat_ngram_size)
            for i, segments in zip(looping, self.batcher.decode(retry, [audios[i] for i in looping]), strict=True):
                outputs[i] = segments
        return outputs


def _compression_ratio(segments: list[DecodedSegment]) -> float:
    text = " ".join(segment.text.strip() for segment in segments)
    return get_compression_ratio(text) if text else 0.0


def _around(spans: list[Span], seconds: float, audio: np.ndarray) -> list[Window]:
    """One window per span, widened by `seconds` of the chunk's audio on each side."""
    duration = audio.size / SAMPLE_RATE
    return [Window(((max(0.0, s - seconds), min(duration, e + seconds)),)) for s, e in spans]


def _inside(t: float, spans: list[Span], tolerance: float) -> bool:
    return any(s - tolerance <= t <= e + tolerance for s, e in spans)


def _piled_up(words: list[Word], least: int) -> set[int]:
    """Indices of words the aligner gave no time at all, `least` or more at one instant (0: none).

    Whisper's made-up continuations have no audio under them: their words pile up, zero-length, at the end of
    the window (AMI tst01 through the phone line, its loop decoded again without repeats: "2, 3, 4," on the
    speech, then 90 more numbers all at 29.81 s).
    """
    if least <= 0:
        return set()
    instants: dict[float, list[int]] = {}
    for i, w in enumerate(words):
        if w.end <= w.start:
            instants.setdefault(round(w.start, 2), []).append(i)
    return {i for pile in instants.values() if len(pile) >= least for i in pile}
