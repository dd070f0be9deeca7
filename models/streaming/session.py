"""Live session engine: audio buffer, VAD, stable partials by local agreement, and the final policy.

A final's words come from decodes of whole stretches of its audio, never from joined partials:
each pause the VAD marks (`prefinal_silence_ms`) gets one speculative decode of the audio since the
previous pause; if speech resumes, those words are sealed and the next decode starts at the pause.
The final decodes whatever follows the last sealed pause, or reuses the speculative decode when no
speech came after it.
"""

from __future__ import annotations

import numpy as np

from models.streaming.config import SessionConfig
from models.streaming.decoder import DecodedWord, DecodeResult
from models.streaming.jobs import (
    SAMPLE_RATE,
    DecodeJob,
    FinalSegment,
    SessionOptions,
    SpeechEvent,
    common_prefix,
    drop_echo,
    timeline_words,
)
from models.streaming.vad import StreamingVad
from models.transcript import Word

__all__ = ["DecodeJob", "FinalSegment", "LiveSession", "SessionOptions", "SpeechEvent"]
# Finals forced by length cut at a sealed pause or between two committed words, never inside a word.
WORD_BOUNDARY_REASONS = frozenset({"max_words", "max_segment"})


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
        # Last word of the last final while the next segment starts right at that final's cut:
        # a decode that opens by repeating it heard the word's remnant.
        self._echo_word: Word | None = None
        # Words of the open segment decoded up to a pause where speech then resumed, and that pause.
        self._sealed: list[Word] = []
        self._sealed_end = 0
        self._prefinal_for: tuple[int, int] | None = None  # (decode start, last speech) speculated on

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
        if keep_from > self._segment_start:
            self._segment_start = self._sealed_end = keep_from
            self._echo_word = None

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

    def _prompt(self, committed: list[Word] | None = None) -> str:
        """Previous finals, then this segment's committed words (the decoder keeps the last `prompt_chars`)."""
        previous = " ".join(self.finals_text[-3:])
        words = self.committed if committed is None else committed
        return " ".join(p for p in (previous, " ".join(w.word for w in words)) if p)

    def _final_prompt(self) -> str:
        """What precedes a final's decode: previous finals, then the words sealed at this segment's pauses."""
        return " ".join(p for p in (*self.finals_text[-3:], " ".join(w.word for w in self._sealed)) if p)

    def _keeps_segment(self) -> bool:
        """Whether the open segment's audio after its last sealed pause stays buffered for the final."""
        limit = self.config.final_redecode_max_seconds * SAMPLE_RATE
        return self.config.final_redecode and self._commit_sample - self._sealed_end <= limit

    def _speech_end(self) -> int:
        """Where a final's audio ends: the last voiced window plus a short margin, never past what arrived."""
        return min(self.total, self._last_speech + int(self.config.final_tail_pad_seconds * SAMPLE_RATE))

    def _start_echo(self, start: int) -> Word | None:
        """The previous final's last word when a decode starts right at that final's cut (not at a pause)."""
        return self._echo_word if start == self._segment_start else None

    def _prefinal_due(self) -> bool:
        if not self.config.final_redecode or not self.config.prefinal_silence_ms or not self._has_speech:
            return False
        wait = max(self.config.prefinal_silence_ms * SAMPLE_RATE // 1000,
                   int(self.config.final_tail_pad_seconds * SAMPLE_RATE))
        return self.total - self._last_speech >= wait and self._last_speech > self._sealed_end

    def prefinal_job(self) -> DecodeJob | None:
        """Once per pause: the decode an endpointing or finalize final would run on the audio so far."""
        if not self._prefinal_due() or self._prefinal_for == (self._sealed_end, self._last_speech):
            return None
        start, end = self._sealed_end, self._speech_end()
        if end - start > self.config.final_redecode_max_seconds * SAMPLE_RATE:
            return None
        self._prefinal_for = (start, self._last_speech)
        return DecodeJob("prefinal", self.generation, self._slice(start, end), start, self._final_prompt(),
                         self.language, "endpointing", redecode=True, sealed=list(self._sealed),
                         echo=self._start_echo(start), end_sample=end)

    def prefinal_current(self, job: DecodeJob) -> bool:
        """Whether a speculative decode still starts where the open segment's undecoded audio starts."""
        return job.generation == self.generation and job.start_sample == self._sealed_end

    def seal(self, job: DecodeJob, result: DecodeResult) -> bool:
        """Keep a speculative decode's words once speech resumed after its pause; False while it has not."""
        if not self.prefinal_current(job):
            return False
        if self._last_speech <= job.end_sample:
            return False  # no speech after that pause (yet): a final may still reuse the decode whole
        self._sealed += timeline_words(job, result, self.config.echo_seconds)
        self._sealed_end = job.end_sample
        if self._sealed:
            self._echo_word = None
        self._drop_until(min(self._sealed_end, self._commit_sample))
        return True

    def partial_job(self) -> DecodeJob | None:
        """A decode of the uncommitted tail, when enough new speech arrived and none is in flight."""
        if self.partial_in_flight or not self._has_speech or self._last_speech <= self._commit_sample:
            return None
        if self._prefinal_due():
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
        last = self.committed[-1] if self.committed else self._echo_word
        words = drop_echo(last, result.words, self.config.echo_seconds)
        history = [*self._hypotheses[-(self.config.agreement - 1) :], words] if self.config.agreement > 1 else [words]
        agreed = len(words)
        for previous in history[:-1]:
            agreed = min(agreed, common_prefix(previous, words))
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
            keep = min(self._sealed_end, self._commit_sample) if self._keeps_segment() else self._commit_sample
            self._drop_until(keep)
            words = words[agreed:]
            self._hypotheses = [words]
        else:
            self._hypotheses = [*self._hypotheses[-(self.config.agreement - 1) :], words]
        text = " ".join([*(w.word for w in self.committed), *(w.text.strip() for w in words)]).strip()
        if text == self.last_partial_text:
            return None
        self.last_partial_text = text
        return text

    def final_job(self, reason: str, upto: int | None = None) -> DecodeJob:
        """Close the current segment now and describe the decode its final needs.

        With `final_redecode` the job decodes everything after the last sealed pause in one pass;
        otherwise (or when that is too long) only the uncommitted tail, joined to the committed words.
        """
        self.generation += 1
        committed, self.committed = self.committed, []
        prompt = self._final_prompt()
        sealed, self._sealed = self._sealed, []
        start = self._sealed_end
        if reason in WORD_BOUNDARY_REASONS and (committed or sealed):
            cut = end = max(self._commit_sample, start)
        else:
            cut, end = self.total, self._speech_end()
        if upto is not None:
            # A `finalize` covers the audio received before it, not audio that arrived while it
            # waited in line (clients sending faster than real time put both in flight at once).
            cut, end = min(cut, upto), min(end, upto)
        min_samples = self.config.min_decode_speech_seconds * SAMPLE_RATE
        heard = self._has_speech and self._last_speech > start and end - start >= min_samples
        redecode = self.config.final_redecode and end - start <= self.config.final_redecode_max_seconds * SAMPLE_RATE
        if redecode:
            audio = self._slice(start, end) if heard else None
            echo = self._start_echo(start)
        else:
            sealed, prompt, start = [], self._prompt(committed), self._commit_sample
            tail = self._has_speech and self._last_speech > start and reason not in WORD_BOUNDARY_REASONS
            audio = self._slice(start, end) if tail and end - start >= min_samples else None
            echo = committed[-1] if committed else self._start_echo(start)
        job = DecodeJob("final", self.generation, audio, start, prompt, self.language, reason, committed,
                        redecode, sealed, cut, echo, end)
        self._drop_until(cut)
        self._commit_sample = self._segment_start = self._sealed_end = cut
        self._hypotheses = []
        self._last_partial_total = self.total
        self.partial_in_flight = False
        self.last_partial_text = ""
        if cut < self.total:
            # Audio after the cut (sent before this final was decided) keeps its speech for the next final.
            self._has_speech = self._last_speech > cut
        else:
            self._has_speech = self._in_speech_event and self._last_speech > cut - SAMPLE_RATE // 10
        return job

    def apply_final(self, job: DecodeJob, result: DecodeResult | None) -> FinalSegment:
        """The final's words: sealed pauses + one decode of the rest, or committed words + tail decode.

        This is the one place a final's words are produced; the runner's `final_hook` then formats them.
        """
        language = (result.language if result is not None else None) or job.language
        decoded = timeline_words(job, result, self.config.echo_seconds)
        if job.redecode:
            # A decode that heard nothing falls back to what partials committed after the last pause.
            after = job.start_sample / SAMPLE_RATE
            words = [*job.sealed, *(decoded or [w for w in job.committed if w.start >= after])]
        else:
            words = [*job.committed, *decoded]
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
        if self._segment_start == job.cut_sample:  # the next segment still opens at this final's cut
            self._echo_word = words[-1] if words else None
        return segment

    @property
    def has_pending_speech(self) -> bool:
        return bool(self.committed or self._sealed) or (self._has_speech and self._last_speech > self._commit_sample)

    @property
    def buffered_seconds(self) -> float:
        return self._buffer.size / SAMPLE_RATE
