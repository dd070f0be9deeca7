"""Streaming Silero VAD on faster-whisper's bundled ONNX: LSTM state and context carried across frames.

The LSTM state is cleared after `reset_after_silence_ms` of quiet windows: carried through a long
session it drifts, and weak onsets after a pause stop counting as speech (a telephone "Hello?" heard
with probability 0.55 at the start of a stream got 0.06 when the stream had carried 20 s of other
speech and a pause before it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from faster_whisper.vad import get_vad_model

from models.audio import SAMPLE_RATE
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
        self._quiet = 0  # consecutive windows below `neg_threshold` since the state was last cleared
        self._reset_windows = config.reset_after_silence_ms * SAMPLE_RATE // 1000 // VAD_WINDOW

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
        """Decisions for `windows`, in runs that end where the state may be due to be cleared."""
        frames: list[VadFrame] = []
        first = 0
        while first < windows.shape[0]:
            count = windows.shape[0] - first
            if self._reset_windows:
                count = min(count, self._reset_windows - self._quiet)
            frames += self._run_windows(windows[first : first + count])
            first += count
            if self._reset_windows and self._quiet >= self._reset_windows:
                self._h, self._c, self._quiet = np.zeros_like(self._h), np.zeros_like(self._c), 0
        return frames

    def _run_windows(self, windows: np.ndarray) -> list[VadFrame]:
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
            self._quiet = self._quiet + 1 if p < self.config.neg_threshold else 0
            self._samples_done += VAD_WINDOW
            frames.append(VadFrame(self._samples_done, float(p), self._speaking))
        return frames
