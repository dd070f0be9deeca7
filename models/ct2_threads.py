"""One Whisper model whose encoder and decoder run on different CTranslate2 thread counts.

CTranslate2's CPU wheel parallelises each call with GNU OpenMP (libgomp). Every CTranslate2 worker
thread that has run a parallel region keeps its own pool of OpenMP threads for the life of the
process, and once the process holds more such threads than it has CPUs, libgomp throttles every
wait to ~100 spins before sleeping on a futex. A server holds several pools (the pre-recorded
`pulse` and `pulse-pro` instances, the live lane's own), so on a small machine it is always in that
state. Big matrix products (the encoder) do not notice; generation and word alignment, thousands of
small parallel regions per window, then spend their time waking threads: on 2 cores a `pulse`
request's generation and alignment took 3.7× longer once a second instance of the weights had been
loaded (docs/benchmarks.md, "Generation on one thread").

A one-thread instance runs no parallel region at all, so `split_threads` pairs the model with a
one-thread instance of the same weights: the encoder keeps the model's threads, generation, language
detection on encoder output and alignment run on the other. The pair costs one more copy of the
weights in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ctranslate2
from faster_whisper import WhisperModel


def load_local_whisper(model_dir: str, device: str, compute_type: str, cpu_threads: int,
                       num_workers: int) -> WhisperModel:
    """A CTranslate2 Whisper instance on weights already on disk (never fetched from a hub at run time)."""
    return WhisperModel(model_dir, device=device, compute_type=compute_type, cpu_threads=cpu_threads,
                        num_workers=num_workers, local_files_only=True)


class _RoutedWhisper:
    """A CTranslate2 Whisper whose `encode` runs on another instance of the same weights."""

    def __init__(self, encoder: ctranslate2.models.Whisper, generator: ctranslate2.models.Whisper) -> None:
        self._encoder = encoder
        self._generator = generator

    def encode(self, *args: Any, **kwargs: Any) -> ctranslate2.StorageView:
        return self._encoder.encode(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._generator, name)


class SplitThreadsModel:
    """A faster-whisper model as its callers see it (`encode`, `.model.generate`, `find_alignment`, the
    feature extractor and tokenizer): encoding on `encoder`, everything else on `generator`."""

    def __init__(self, encoder: WhisperModel, generator: WhisperModel) -> None:
        self.encoder = encoder
        self.generator = generator
        self.model = _RoutedWhisper(encoder.model, generator.model)

    def encode(self, features: Any) -> ctranslate2.StorageView:
        return WhisperModel.encode(self, features)  # type: ignore[arg-type]  # reads only `self.model`

    def __getattr__(self, name: str) -> Any:
        return getattr(self.generator, name)


def split_threads(model: WhisperModel, load_generator: Callable[[int], WhisperModel], generate_threads: int | None,
                  cpu_threads: int, device: str) -> WhisperModel | SplitThreadsModel:
    """`model` with generation on `generate_threads` (`load_generator(threads)` loads that instance), or
    `model` itself when the split would not change the thread count (or the model is not on the CPU)."""
    if device != "cpu" or generate_threads is None or generate_threads >= cpu_threads:
        return model
    return SplitThreadsModel(model, load_generator(generate_threads))
