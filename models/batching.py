"""One batched CTranslate2 call for the 30 s windows of many concurrent pre-recorded requests.

Every request cuts its speech into windows and hands them to the model's `WindowBatcher`; one
dispatcher thread gathers the windows waiting at that moment (same language and options, up to
`batch_size`, after at most `gather_ms`) and encodes, generates and aligns them in one call through
faster-whisper's batched forward pass. A lone request is a batch of its own windows; concurrent
requests share calls, so the decoder's per-step cost is paid once for all of them. With
`full_window=False` the encoder sees the speech padded up to whole `window_step_seconds` instead
of a 30 s window (for models that do not loop on short input), which cuts the encoder's work for
short windows; only windows of the same padded length share a call.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import BatchedInferencePipeline, TranscriptionOptions, get_suppressed_tokens

from models.audio import SAMPLE_RATE
from models.ct2_threads import SplitThreadsModel
from models.priority import lower_thread_priority

FULL_WINDOW_FRAMES = 3000  # Whisper's 30 s input, 100 mel frames per second
TAIL_FRAMES = 50  # at least 0.5 s of padding after the speech


@dataclass(frozen=True)
class WindowKey:
    """Windows with equal keys can share one CTranslate2 call."""

    language: str
    beam_size: int
    word_timestamps: bool = True
    initial_prompt: str | None = None
    hotwords: str | None = None
    no_repeat_ngram_size: int = 0
    task: str = "transcribe"  # or "translate" (to English, multilingual models)
    temperature: float = 0.0  # one pass at this temperature (no fallback schedule)


@dataclass
class DecodedSegment:
    """One timestamped segment of a window; times are seconds from the window's start."""

    text: str
    start: float
    end: float
    words: list[dict]
    avg_logprob: float
    no_speech_prob: float


@dataclass
class _Pending:
    key: WindowKey
    features: np.ndarray
    duration: float
    future: Future = field(default_factory=Future)

    def joins(self, other: _Pending) -> bool:
        """Same options and the same encoder input shape: the two can share one call."""
        return other.key == self.key and other.features.shape == self.features.shape


class WindowBatcher:
    """Serialises one model's pre-recorded decodes into batched calls; `decode` is thread-safe."""

    def __init__(
        self,
        model: WhisperModel | SplitThreadsModel,
        batch_size: int,
        gather_ms: float,
        name: str = "",
        full_window: bool = True,
        window_step_seconds: float = 10.0,
        nice: int = 0,
        batch_encode: bool = True,
        forward: WindowsForward | None = None,
    ) -> None:
        self.model = model  # its feature extractor makes every window's input
        # The CTranslate2 call itself: in this process by default, or in a child (models/forward_process.py).
        self.forward: WindowsForward = forward or WindowForward(model, batch_encode)
        self.nice = nice  # the dispatcher thread's niceness (see models/priority.py)
        self.full_window = full_window
        self.step_frames = max(2, int(window_step_seconds * 100)) // 2 * 2  # even: stride-2 convolution
        self.batch_size = max(1, batch_size)
        self.gather_seconds = max(0.0, gather_ms) / 1000.0
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._held: list[_Pending] = []
        self.calls = 0
        self.windows = 0
        self._thread = threading.Thread(target=self._run, name=f"batch-{name}", daemon=True)
        self._thread.start()

    def decode(self, key: WindowKey, windows: list[np.ndarray]) -> list[list[DecodedSegment]]:
        """Decode 16 kHz windows (each ≤ 30 s) independently; blocks until all are done."""
        pending = []
        for audio in windows:
            features = self.model.feature_extractor(audio)[..., :-1]
            frames = FULL_WINDOW_FRAMES
            if not self.full_window:  # rounded up to whole steps, so concurrent windows often share a shape
                steps = -(-(features.shape[-1] + TAIL_FRAMES) // self.step_frames)
                frames = min(FULL_WINDOW_FRAMES, steps * self.step_frames)
            pending.append(_Pending(key, pad_or_trim(features, frames), audio.size / SAMPLE_RATE))
        for item in pending:
            self._queue.put(item)
        return [item.future.result() for item in pending]

    def close(self) -> None:
        self._queue.put(None)
        close = getattr(self.forward, "close", None)
        if close is not None:
            close()

    def _next_batch(self) -> list[_Pending] | None:
        first = self._held.pop(0) if self._held else self._queue.get()
        if first is None:
            return None
        batch = [first]
        deadline = time.monotonic() + self.gather_seconds
        keep: list[_Pending] = []
        for item in self._held:
            (batch if first.joins(item) and len(batch) < self.batch_size else keep).append(item)
        self._held = keep
        while len(batch) < self.batch_size:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            (batch if first.joins(item) else self._held).append(item)
        return batch

    def _run(self) -> None:
        lower_thread_priority(self.nice)
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                results = self.forward(batch[0].key, np.stack([item.features for item in batch]),
                                       [item.duration for item in batch])
                self.calls += 1
                self.windows += len(batch)
            except Exception as exc:  # every waiting request gets the error, the thread lives on
                for item in batch:
                    item.future.set_exception(exc)
                continue
            for item, result in zip(batch, results, strict=True):
                item.future.set_result(result)


class WindowsForward(Protocol):
    """Encodes, generates and aligns a batch of windows that share `key` (`features`: one row per window)."""

    def __call__(self, key: WindowKey, features: np.ndarray, durations: list[float]) -> list[list[DecodedSegment]]: ...


class WindowForward:
    """The batched forward pass in this process, through faster-whisper's batched pipeline; batches of two
    or more windows run on `wide` instead when given (a model with more generation threads)."""

    def __init__(self, model: WhisperModel | SplitThreadsModel, batch_encode: bool = True,
                 wide: WhisperModel | None = None) -> None:
        self.model = model
        self.wide = wide
        self.batch_encode = batch_encode
        self._tokenizers: dict[tuple[str, str], Tokenizer] = {}

    def __call__(self, key: WindowKey, features: np.ndarray, durations: list[float]) -> list[list[DecodedSegment]]:
        tokenizer = self._tokenizer(key.language, key.task)
        options = _options(key, tokenizer)
        metadata = [{"offset": 0.0, "duration": duration} for duration in durations]
        # A fresh pipeline per call: its word-timing state must not leak between requests.
        base = self.wide if self.wide is not None and len(features) >= 2 else self.model
        model = base if self.batch_encode or len(features) == 1 else _RowByRowEncoder(base)
        outputs = BatchedInferencePipeline(model).forward(features, tokenizer, metadata, options)
        return [
            [
                DecodedSegment(
                    text=segment["text"],
                    start=segment["start"],
                    end=segment["end"],
                    words=segment.get("words") or [],
                    avg_logprob=float(segment["avg_logprob"]),
                    no_speech_prob=float(segment["no_speech_prob"]),
                )
                for segment in output
            ]
            for output in outputs
        ]

    def _tokenizer(self, language: str, task: str) -> Tokenizer:
        if (language, task) not in self._tokenizers:
            self._tokenizers[(language, task)] = Tokenizer(
                self.model.hf_tokenizer, self.model.model.is_multilingual, task=task, language=language
            )
        return self._tokenizers[(language, task)]


class _RowByRowEncoder:
    """The model as faster-whisper's batched pipeline sees it, with the encoder run one window at a time
    (see `DecodeConfig.batch_encode`); generation and alignment still take the whole batch at once."""

    def __init__(self, model: WhisperModel | SplitThreadsModel) -> None:
        self._model = model
        self._encoded: np.ndarray | None = None  # CTranslate2 shares this memory: kept for the call

    def __getattr__(self, name: str) -> object:
        return getattr(self._model, name)

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        rows = [
            np.asarray(self._model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(row[None])),
                                                to_cpu=True))
            for row in features
        ]
        self._encoded = np.ascontiguousarray(np.concatenate(rows))
        return ctranslate2.StorageView.from_array(self._encoded)


def _options(key: WindowKey, tokenizer: Tokenizer) -> TranscriptionOptions:
    """faster-whisper's batched-mode options (one pass per window, no fallback, no conditioning)."""
    return TranscriptionOptions(
        beam_size=key.beam_size,
        best_of=1,
        patience=1.0,
        length_penalty=1.0,
        repetition_penalty=1.0,
        no_repeat_ngram_size=key.no_repeat_ngram_size,
        log_prob_threshold=None,
        no_speech_threshold=None,
        compression_ratio_threshold=None,
        condition_on_previous_text=False,
        prompt_reset_on_temperature=0.5,
        temperatures=[key.temperature],
        initial_prompt=key.initial_prompt,
        prefix=None,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        without_timestamps=False,
        max_initial_timestamp=0.0,
        word_timestamps=key.word_timestamps,
        prepend_punctuations="\"'“¿([{-",
        append_punctuations="\"'.。,，!！?？:：”)]}、",
        multilingual=False,
        max_new_tokens=None,
        clip_timestamps=[],
        hallucination_silence_threshold=None,
        hotwords=key.hotwords,
    )
