"""Live session engine: audio buffer, VAD, stable partials by local agreement, and the final policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from models.streaming.config import SessionConfig
from models.streaming.decoder import DecodedWord, DecodeResult
from models.streaming.vad import StreamingVad
from models.transcript import Word

SAMPLE_RATE = 16000
_NORMALISE = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class SessionOptions:
    """What the client asked for at the handshake, already validated."""

    language: str | None  # pinned decoding language; None = detect among `candidates`
    candidates: tuple[str, ...] | None = None
    endpointing: bool = True
    endpointing_ms: int = 600
    eou_timeout_ms: int = 800
    max_words: int | None = None
    finalize_on_words: bool = True
    hotwords: str | None = None


@dataclass
class SpeechEvent:
    kind: str  # "speech_started" | "speech_ended"
    timestamp: float


@dataclass
class DecodeJob:
    """A snapshot handed to a decode thread; `generation` ties the result to the segment it describes."""

    kind: str  # "partial" | "final"
    generation: int
    audio: np.ndarray | None
    start_sample: int
    prompt: str
    language: str | None
    reason: str = ""
    committed: list[Word] = field(default_factory=list)


@dataclass
class FinalSegment:
    words: list[Word]
    language: str | None
    reason: str
    start: float
    end: float
    # Display text after text options (ITN, formatting); None = the plain join of `words`.
    display_text: str | None = None

    @property
    def text(self) -> str:
        if self.display_text is not None:
            return self.display_text
        return " ".join(w.word for w in self.words)


def _key(text: str) -> str:
    return _NORMALISE.sub("", text.lower())


def _drop_echo(last: Word | None, words: list[DecodedWord], window: float) -> list[DecodedWord]:
    """A tail decode that starts by repeating (part of) the last committed word heard its remnant: drop it."""
    if last is None or not words or words[0].start > window:
        return words
    head, tail = _key(words[0].text), _key(last.word)
    return words[1:] if head and tail.endswith(head) else words


def _common_prefix(a: list[DecodedWord], b: list[DecodedWord]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if _key(x.text) != _key(y.text):
            break
        n += 1
    return n


class LiveSession:
    """All state of one stream; every method runs on the event loop, decodes run elsewhere on snapshots."""

    def __init__(self, config: SessionConfig, options: SessionOptions, vad: StreamingVad) -> None:
        self.config = config
        self.options = options
        self.vad = vad
        self.total = 0  # samples received on the session timeline
        self._buffer = np.zeros(0, np.float32)
        self._buffer_start = 0
        self.generation = 0
        self._segment_start = 0
        self._has_speech = False  # VAD saw speech since the last final
        self._last_speech = 0  # end sample of the last voiced VAD window
        self._voiced_run = 0
        self._in_speech_event = False
        self.committed: list[Word] = []
        self._commit_sample = 0
        self._hypotheses: list[list[DecodedWord]] = []
        self._last_partial_total = 0
        self.partial_in_flight = False
        self.last_partial_text = ""
        self.language: str | None = options.language
        self.finals_text: list[str] = []

    # ---- audio in -------------------------------------------------------------------------
    def feed(self, samples: np.ndarray) -> list[SpeechEvent]:
        """Append 16 kHz audio, run VAD on the new windows; returns VAD events in time order."""
        if samples.size:
            self._buffer = np.concatenate([self._buffer, samples]) if self._buffer.size else samples.copy()
            self.total += samples.size
        events: list[SpeechEvent] = []
        min_voiced = self.config_min_speech_samples
        for frame in self.vad.feed(samples):
            if frame.speech:
                self._voiced_run += 512
                self._last_speech = frame.end_sample
                if self._voiced_run >= min_voiced:
                    self._has_speech = True
                    if not self._in_speech_event:
                        self._in_speech_event = True
                        onset = (frame.end_sample - self._voiced_run) / SAMPLE_RATE
                        events.append(SpeechEvent("speech_started", onset))
            else:
                self._voiced_run = 0
                silence = frame.end_sample - self._last_speech
                if self._in_speech_event and silence >= self.options.endpointing_ms * SAMPLE_RATE // 1000:
                    self._in_speech_event = False
                    events.append(SpeechEvent("speech_ended", self._last_speech / SAMPLE_RATE))
        if not self._has_speech:
            self._trim_silence()
        return events

    @property
    def config_min_speech_samples(self) -> int:
        return self.vad.config.min_speech_ms * SAMPLE_RATE // 1000

    def _trim_silence(self) -> None:
        """Nothing said since the last final: keep only a short pre-roll so memory stays flat."""
        keep_from = max(self._buffer_start, self.total - int(self.config.preroll_seconds * SAMPLE_RATE))
        self._drop_until(keep_from)
        self._commit_sample = max(self._commit_sample, keep_from)
        self._segment_start = max(self._segment_start, keep_from)

    def _drop_until(self, sample: int) -> None:
        cut = sample - self._buffer_start
        if cut > 0:
            self._buffer = self._buffer[cut:]
            self._buffer_start = sample

    def _slice(self, start: int, end: int) -> np.ndarray:
        return self._buffer[max(0, start - self._buffer_start) : max(0, end - self._buffer_start)].copy()

    # ---- policy ---------------------------------------------------------------------------
    def _pending_words(self) -> int:
        return len(self.committed) + (len(self._hypotheses[-1]) if self._hypotheses else 0)

    def auto_final_reason(self) -> str | None:
        """Which automatic final rule fires now, if any (§4.5 rule 2 b–e)."""
        if not self._has_speech:
            return None
        silence_ms = (self.total - self._last_speech) * 1000 / SAMPLE_RATE
        if self.options.endpointing and silence_ms >= self.options.endpointing_ms:
            return "endpointing"
        if silence_ms >= self.options.eou_timeout_ms:
            return "eou_timeout"
        max_words = self.options.max_words or self.config.default_max_words
        if self.options.finalize_on_words and max_words and len(self.committed) >= max_words:
            return "max_words"
        if (self.total - self._segment_start) >= self.config.max_segment_seconds * SAMPLE_RATE:
            return "max_segment"
        return None

    def _prompt(self) -> str:
        previous = " ".join(self.finals_text[-3:])
        return " ".join(p for p in (previous, " ".join(w.word for w in self.committed)) if p)

    def partial_job(self) -> DecodeJob | None:
        """A decode of the uncommitted tail, when enough new speech arrived and none is in flight."""
        if self.partial_in_flight or not self._has_speech or self._last_speech <= self._commit_sample:
            return None
        if self.total - self._last_partial_total < self.config.partial_interval_seconds * SAMPLE_RATE:
            return None
        if self.total - self._commit_sample < self.config.min_partial_seconds * SAMPLE_RATE:
            return None
        self._last_partial_total = self.total
        self.partial_in_flight = True
        audio = self._slice(self._commit_sample, self.total)
        return DecodeJob("partial", self.generation, audio, self._commit_sample, self._prompt(), self.language)

    def apply_partial(self, job: DecodeJob, result: DecodeResult | None) -> str | None:
        """Commit the words consecutive decodes agree on; returns new partial text or None."""
        if job.generation != self.generation:
            return None  # a final overtook this decode; its flag was reset then
        self.partial_in_flight = False
        if result is None or job.start_sample != self._commit_sample:
            return None
        if self.language is None and result.language:
            self.language = result.language
        words = _drop_echo(self.committed[-1] if self.committed else None, result.words, self.config.echo_seconds)
        history = [*self._hypotheses[-(self.config.agreement - 1) :], words] if self.config.agreement > 1 else [words]
        agreed = len(words)
        for previous in history[:-1]:
            agreed = min(agreed, _common_prefix(previous, words))
        if len(history) < self.config.agreement:
            agreed = 0
        # The newest word is never committed: its end time is the least reliable, and the cut goes
        # half-way into the gap before the next word so no remnant of a committed word is re-heard.
        agreed = min(agreed, len(words) - 1)
        offset = job.start_sample / SAMPLE_RATE
        if agreed > 0:
            for w in words[:agreed]:
                self.committed.append(
                    Word(w.text.strip(), round(offset + w.start, 3), round(offset + w.end, 3), round(w.probability, 4))
                )
            cut = (words[agreed - 1].end + max(words[agreed - 1].end, words[agreed].start)) / 2
            self._commit_sample = job.start_sample + int(cut * SAMPLE_RATE)
            self._drop_until(self._commit_sample)
            words = words[agreed:]
            self._hypotheses = [words]
        else:
            self._hypotheses = [*self._hypotheses[-(self.config.agreement - 1) :], words]
        text = " ".join([*(w.word for w in self.committed), *(w.text.strip() for w in words)]).strip()
        if text == self.last_partial_text:
            return None
        self.last_partial_text = text
        return text

    def final_job(self, reason: str) -> DecodeJob:
        """Close the current segment now; the job decodes whatever tail is not committed yet.

        Word-count finals cut at the last committed word so no word is split across two finals.
        """
        self.generation += 1
        committed, self.committed = self.committed, []
        tail_has_speech = self._has_speech and self._last_speech > self._commit_sample
        if reason == "max_words" and committed:
            cut, audio = self._commit_sample, None
        else:
            cut = self.total
            speech_end = min(cut, self._last_speech + int(self.config.final_tail_pad_seconds * SAMPLE_RATE))
            audio = self._slice(self._commit_sample, speech_end) if tail_has_speech else None
            min_samples = self.config.min_decode_speech_seconds * SAMPLE_RATE
            if audio is not None and audio.size < min_samples:
                audio = None
        job = DecodeJob("final", self.generation, audio, self._commit_sample, self._prompt(), self.language,
                        reason, committed)
        self._drop_until(cut)
        self._commit_sample = self._segment_start = cut
        self._hypotheses = []
        self._last_partial_total = self.total
        self.partial_in_flight = False
        self.last_partial_text = ""
        self._has_speech = self._in_speech_event and self._last_speech > cut - SAMPLE_RATE // 10
        return job

    def apply_final(self, job: DecodeJob, result: DecodeResult | None) -> FinalSegment:
        words = list(job.committed)
        language = job.language
        if result is not None:
            language = result.language or language
            offset = job.start_sample / SAMPLE_RATE
            tail = _drop_echo(words[-1] if words else None, result.words, self.config.echo_seconds)
            words += [
                Word(w.text.strip(), round(offset + w.start, 3), round(offset + w.end, 3), round(w.probability, 4))
                for w in tail
            ]
        if self.options.language is None and language:
            self.language = language
        segment = FinalSegment(
            words,
            language or self.language,
            job.reason,
            words[0].start if words else job.start_sample / SAMPLE_RATE,
            words[-1].end if words else job.start_sample / SAMPLE_RATE,
        )
        if segment.text:
            self.finals_text.append(segment.text)
        return segment

    @property
    def has_pending_speech(self) -> bool:
        return bool(self.committed) or (self._has_speech and self._last_speech > self._commit_sample)

    @property
    def buffered_seconds(self) -> float:
        return self._buffer.size / SAMPLE_RATE
