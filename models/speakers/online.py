"""Live path: consistent speaker numbers across a streaming session, assigned as each final arrives."""

from __future__ import annotations

import threading

import numpy as np

from models.speakers.config import SpeakerStagesConfig
from models.speakers.embedder import ResemblyzerEmbedder
from models.speakers.track import build_track
from models.transcript import Word


class OnlineSpeakerTracker:
    """Incremental clustering: each final's windows join the closest known voice or found a new speaker.

    Centroids are running means of member windows, so a speaker's voice print sharpens as the
    session goes on. Numbers are zero-based in order of first appearance and never change.
    """

    def __init__(
        self, embedder: ResemblyzerEmbedder, config: SpeakerStagesConfig, max_speakers: int | None = None
    ) -> None:
        self._embedder = embedder
        self._config = config
        self._threshold = config.diarization.online_threshold
        self._max = max_speakers or config.diarization.max_speakers
        self._sums: list[np.ndarray] = []
        self._lock = threading.Lock()

    @property
    def num_speakers(self) -> int:
        return len(self._sums)

    def assign(self, audio: np.ndarray, offset: float, words: list[Word]) -> list[int]:
        """Label `words` (times on the session timeline) of one final whose audio starts at `offset`.

        Sets `speaker` / `speaker_confidence` on the words in place and returns the window labels.
        """
        track = build_track(audio, offset, self._embedder, self._config.embedding, self._config.diarization.vad)
        if len(track) == 0:
            # No speech window (a very short final): embed the whole final as one window.
            whole = [(0, int(audio.size))] if audio.size else []
            track = build_track(
                audio, offset, self._embedder, self._config.embedding, self._config.diarization.vad, whole
            )
        with self._lock:
            labels, sims = zip(*[self._join(v) for v in track.vectors], strict=True) if len(track) else ((), ())
        for word in words:
            mid = 0.5 * (word.start + word.end)
            if not labels:
                continue
            centres = track.times.mean(axis=1)
            i = int(np.argmin(np.abs(centres - mid)))
            word.speaker = int(labels[i])
            word.speaker_confidence = round(float(np.clip(sims[i], 0.0, 1.0)), 3)
        return list(labels)

    def _join(self, vector: np.ndarray) -> tuple[int, float]:
        if self._sums:
            cents = np.stack([s / (np.linalg.norm(s) + 1e-9) for s in self._sums])
            sims = cents @ vector
            best = int(np.argmax(sims))
            if sims[best] >= self._threshold or len(self._sums) >= self._max:
                self._sums[best] = self._sums[best] + vector
                return best, float(sims[best])
        self._sums.append(vector.astype(np.float64).copy())
        return len(self._sums) - 1, 1.0
