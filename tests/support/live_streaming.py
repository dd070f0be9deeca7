"""Drive a `LiveSession` without a server, doing what `SessionRunner` does with speculative decodes.

Decodes run synchronously through a `decode(job)` callable (the real model or a stub), so the
tests check the policy (which audio each final decodes, what is kept at each seam), never timing.
`StubBatchDecoder` stands in for the decoder where a test is about scheduling, not words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from models.streaming.config import SessionConfig, VadConfig
from models.streaming.decoder import DecodedWord, DecodeRequest, DecodeResult, LiveDecoder
from models.streaming.jobs import DecodeJob, FinalSegment
from models.streaming.session import LiveSession, SessionOptions
from models.streaming.vad import StreamingVad

CHUNK = 1600  # 100 ms feeds
Decode = Callable[[DecodeJob], DecodeResult | None]


def new_session(**options: object) -> LiveSession:
    return LiveSession(SessionConfig(), SessionOptions(language="en", **options), StreamingVad(VadConfig()))  # type: ignore[arg-type]


def model_decode(decoder: LiveDecoder) -> Decode:
    """Decode a job as the runner asks the scheduler to (speculative decodes greedy, finals with beam search)."""
    def decode(job: DecodeJob) -> DecodeResult | None:
        if job.audio is None:
            return None
        greedy = job.kind == "prefinal" and decoder.config.greedy_speculative
        return decoder.decode_batch([job.request(SessionOptions(language="en"), greedy)])[0]
    return decode


def stream(decode: Decode, session: LiveSession, pcm: np.ndarray) -> tuple[list[FinalSegment], list[DecodeJob]]:
    """Feed `pcm` in 100 ms chunks with speculative decodes at pauses and automatic finals; finalize at the end."""
    finals: list[FinalSegment] = []
    jobs: list[DecodeJob] = []
    pending: tuple[DecodeJob, DecodeResult] | None = None
    for start in range(0, pcm.size, CHUNK):
        session.feed(pcm[start : start + CHUNK])
        if pending is not None and (not session.prefinal_current(pending[0]) or session.seal(*pending)):
            pending = None
        reason = session.auto_final_reason()
        if reason:
            pending = settle(session, pending)
            job = session.final_job(reason)
            reuse = pending is not None and pending[0].key == job.key
            jobs.append(job)
            finals.append(session.apply_final(job, pending[1] if reuse else decode(job)))  # type: ignore[index]
            pending = None
        prefinal = session.prefinal_job()
        if prefinal is not None:
            result = decode(prefinal)
            pending = (prefinal, result) if result is not None else None
    pending = settle(session, pending)
    job = session.final_job("finalize")
    reuse = pending is not None and pending[0].key == job.key
    jobs.append(job)
    finals.append(session.apply_final(job, pending[1] if reuse else decode(job)))  # type: ignore[index]
    return [f for f in finals if f.words], jobs


def settle(session: LiveSession, pending: tuple[DecodeJob, DecodeResult] | None) -> tuple[DecodeJob, DecodeResult] | None:
    """Before a final, as the runner does: seal the speculative decode or let it go; kept only if the final may
    reuse it (no speech after its pause)."""
    if pending is None or not session.prefinal_current(pending[0]) or session.seal(*pending, final=True):
        return None
    return pending


def join_with_pauses(clips: list[np.ndarray], pause_seconds: float) -> np.ndarray:
    gap = np.zeros(int(pause_seconds * 16000), np.float32)
    parts: list[np.ndarray] = []
    for clip in clips:
        parts += [clip, gap]
    return np.concatenate(parts[:-1])


class StubBatchDecoder:
    """Records the batches it is given; a gate lets a test hold the first call."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.batches: list[list[str]] = []
        self.started = 0
        self._lock = threading.Lock()

    def beam_size(self, request: DecodeRequest) -> int:
        return 5 if request.final and not request.greedy else 1

    def window_frames(self, samples: int, final: bool = False) -> int:
        return max(500, samples // 160 + (400 if final else 200))

    def decode_batch(self, requests: list[DecodeRequest]) -> list[DecodeResult]:
        with self._lock:
            first, self.started = self.started == 0, self.started + 1
        if self.gate is not None and first:
            self.gate.wait(30)
        self.batches.append([r.prompt for r in requests])
        return [DecodeResult([DecodedWord(" " + r.prompt, 0.0, 0.5, 1.0)], "en") for r in requests]
