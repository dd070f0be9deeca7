"""Streaming Silero VAD on faster-whisper's bundled ONNX: LSTM state and context carried across frames."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from faster_whisper.vad import get_vad_model

from models.streaming.config import VadConfig

VAD_WINDOW = 512  # samples per Silero decision at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window the v6 model sees in front of each window
STATE_SHAPE = (1, 1, 128)
MAX_WINDOWS_PER_RUN = 1024  # 33 s of audio per ONNX call


@functools.lru_cache(maxsize=1)
def _session():  # type: ignore[no-untyped-def]
    """The ONNX session faster-whisper already loads (one per process, thread-safe to run)."""
    return get_vad_model().session


@dataclass
class VadFrame:
    """The decision for one 32 ms window; `end_sample` is on the session timeline."""

    end_sample: int
    probability: float
    speech: bool


class StreamingVad:
    """Feeds arbitrary-length 16 kHz audio; returns one decision per completed 512-sample window.

    Only the new windows are run through the model each call, so cost is linear in audio
    received, not in session length.
    """

    def __init__(self, config: VadConfig) -> None:
        self.config = config
        self._h = np.zeros(STATE_SHAPE, np.float32)
        self._c = np.zeros(STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._samples_done = 0
        self._speaking = False

    def skip(self, samples: int) -> None:
        """Advance the timeline by `samples` never run through the model (audio the session discards)."""
        self._samples_done += self._pending.size + samples
        self._pending = np.zeros(0, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def feed(self, audio: np.ndarray) -> list[VadFrame]:
        data = np.concatenate([self._pending, audio]) if self._pending.size else audio
        n_windows = data.size // VAD_WINDOW
        self._pending = data[n_windows * VAD_WINDOW :].copy()
        frames: list[VadFrame] = []
        for first in range(0, n_windows, MAX_WINDOWS_PER_RUN):  # bounded memory per model run
            count = min(MAX_WINDOWS_PER_RUN, n_windows - first)
            block = data[first * VAD_WINDOW : (first + count) * VAD_WINDOW]
            frames += self._run(block.reshape(count, VAD_WINDOW))
        return frames

    def _run(self, windows: np.ndarray) -> list[VadFrame]:
        contexts = np.concatenate([self._context[None, :], windows[:-1, -CONTEXT:]], axis=0)
        self._context = windows[-1, -CONTEXT:].copy()
        batch = np.concatenate([contexts, windows], axis=1).astype(np.float32)
        probs, self._h, self._c = _session().run(None, {"input": batch, "h": self._h, "c": self._c})
        frames: list[VadFrame] = []
        for p in np.asarray(probs).reshape(-1):
            # Hysteresis: start above `threshold`, stop only below `neg_threshold`.
            if p >= self.config.threshold:
                self._speaking = True
            elif p < self.config.neg_threshold:
                self._speaking = False
            self._samples_done += VAD_WINDOW
            frames.append(VadFrame(self._samples_done, float(p), self._speaking))
        return frames
