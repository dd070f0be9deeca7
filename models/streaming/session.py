"""Live session engine: VAD, stable partials by local agreement, and the final policy.

A final's words come from decodes of whole stretches of its audio, never from joined partials:
each pause the VAD marks (`prefinal_silence_ms`) gets one speculative decode of the audio since the
previous pause; if speech resumes, those words are sealed (stretches under `min_seal_seconds` are let
go and heard again with what follows) and the next decode starts at the pause.
Continuous speech is sealed the same way in chunks (`seal_chunk_seconds`), cut at its quietest VAD
window. The final decodes whatever follows the last sealed point, or reuses the speculative decode
when no speech came after it. Decodes of a final's audio get no prompt; every decode's words pass
`models/streaming/seams.py`, so a word is committed once.
"""

from __future__ import annotations

import numpy as np

from models.audio import SAMPLE_RATE
from models.streaming.config import SessionConfig
from models.streaming.decoder import DecodedWord, DecodeResult
from models.streaming.jobs import DecodeJob, FinalSegment, SessionOptions, SpeechEvent, common_prefix, timeline_words
from models.streaming.seams import SeamPolicy, heard_after, trim_seam
from models.streaming.timeline import AudioTimeline
from models.streaming.vad import VAD_WINDOW, StreamingVad, VadFrame
from models.transcript import Word

__all__ = ["DecodeJob", "FinalSegment", "LiveSession", "SessionOptions", "SpeechEvent"]
# Finals forced by length cut at a sealed pause or between two committed words, never inside a word.
WORD_BOUNDARY_REASONS = frozenset({"max_words", "max_segment"})
TRACE_PRUNE_AT = 1024  # VAD windows kept before those already sealed are pruned (memory stays flat)


class LiveSession:
    """All state of one stream; every method runs on the event loop, decodes run elsewhere on snapshots."""

    def __init__(
        self, config: SessionConfig, options: SessionOptions, vad: StreamingVad, max_buffer_seconds: float = 60.0
    ) -> None:
        self.config = config
        self.options = options
        self.vad = vad
        self.seams = SeamPolicy(config.seam_window_seconds, config.echo_seconds, config.min_word_seconds,
                                config.seam_max_ngram, config.seam_echo_ratio)
        self.audio = AudioTimeline(int(max_buffer_seconds * SAMPLE_RATE))
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
        # Last words of the last final: the seam context of the next segment's first decode.
        self._tail: list[Word] = []
        # Words of the open segment decoded up to a pause where speech then resumed, and that pause.
        self._sealed: list[Word] = []
        self._sealed_end = 0
        self._prefinal_for: tuple[int, int] | None = None  # (decode start, last speech) speculated on
        # The pause that ends the open segment (reason, its last voiced sample, the cut: that sample + the tail
        # pad): the final cuts there even when it is decided later, after speech resumed.
        self._pause: tuple[str, int, int] | None = None
        # (end sample, speech probability) of the VAD windows after the last sealed point: where to cut a chunk.
        self._vad_trace: list[tuple[int, float]] = []

    # ---- audio in -------------------------------------------------------------------------
    def feed(self, samples: np.ndarray) -> list[SpeechEvent]:
        """Append 16 kHz audio, run VAD on the new windows; returns VAD events in time order."""
        return self.feed_decided(samples, self.vad.feed(self.vad_input(samples)))

    @property
    def total(self) -> int:
        """Samples received on the session timeline."""
        return self.audio.total

    def vad_input(self, samples: np.ndarray) -> np.ndarray:
        """The part of `samples` worth a VAD pass: audio beyond the buffer's capacity would be dropped unheard."""
        capacity = self.audio.capacity
        if samples.size <= capacity:
            return samples
        self.vad.skip(samples.size - capacity)
        return samples[-capacity:]

    def feed_decided(self, samples: np.ndarray, frames: list[VadFrame]) -> list[SpeechEvent]:
        """`feed` with the VAD already run on `samples` (`self.vad.feed`, e.g. on a worker thread)."""
        self._append(samples)
        events: list[SpeechEvent] = []
        min_voiced = self.config_min_speech_samples
        for frame in frames:
            self._vad_trace.append((frame.end_sample, frame.probability))
            if frame.speech:
                self._voiced_run += VAD_WINDOW
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
                if self._pause is None and self._has_speech and self._last_speech > self._segment_start:
                    reason = self._pause_reason(silence)
                    # The cut goes a tail pad after the speech, not where the pause is decided: the next
                    # segment then starts inside the silence, before a soft onset ("ask" → "S not").
                    cut = min(frame.end_sample, self._last_speech + int(self.config.final_tail_pad_seconds * SAMPLE_RATE))
                    self._pause = (reason, self._last_speech, cut) if reason else None
                if self._in_speech_event and silence >= self.options.endpointing_ms * SAMPLE_RATE // 1000:
                    self._in_speech_event = False
                    events.append(SpeechEvent("speech_ended", self._last_speech / SAMPLE_RATE))
        if not self._has_speech:
            self._trim_silence()
        if len(self._vad_trace) > TRACE_PRUNE_AT:
            self._vad_trace = [t for t in self._vad_trace if t[0] > self._sealed_end]
        return events

    def _append(self, samples: np.ndarray) -> None:
        """Buffer new audio (the oldest is dropped past the buffer's capacity)."""
        self.audio.append(samples)
        # Nothing may point before the buffer: decodes start where audio still is.
        start = self.audio.start
        self._segment_start, self._sealed_end = max(self._segment_start, start), max(self._sealed_end, start)
        if self._commit_sample < start:
            self._commit_sample, self._hypotheses = start, []

    @property
    def config_min_speech_samples(self) -> int:
        return self.vad.config.min_speech_ms * SAMPLE_RATE // 1000

    def _trim_silence(self) -> None:
        """Nothing said since the last final: keep only a short pre-roll so memory stays flat."""
        keep_from = max(self.audio.start, self.total - int(self.config.preroll_seconds * SAMPLE_RATE))
        self.audio.drop_until(keep_from)
        self._commit_sample = max(self._commit_sample, keep_from)
        if keep_from > self._segment_start:
            self._segment_start = self._sealed_end = keep_from

    # ---- policy ---------------------------------------------------------------------------
    def _pause_reason(self, silence: int) -> str | None:
        silence_ms = silence * 1000 / SAMPLE_RATE
        if self.options.endpointing and silence_ms >= self.options.endpointing_ms:
            return "endpointing"
        return "eou_timeout" if silence_ms >= self.options.eou_timeout_ms else None

    def auto_final_reason(self) -> str | None:
        """Which automatic final rule fires now, if any (§4.5 rule 2 b–e)."""
        if not self._has_speech:
            return None
        if self._pause is not None:
            return self._pause[0]
        max_words = self.options.max_words or self.config.default_max_words
        if self.options.finalize_on_words and max_words and len(self.committed) >= max_words:
            return "max_words"
        if (self.total - self._segment_start) >= self.config.max_segment_seconds * SAMPLE_RATE:
            return "max_segment"
        if self.audio.held >= self.audio.capacity:
            return "max_buffer"
        return None

    def _prompt(self, words: list[Word], enabled: bool) -> str:
        """Previous finals, then `words` (the decoder keeps the last `prompt_chars`); "" when `enabled` is off."""
        if not enabled:
            return ""
        return " ".join(p for p in (*self.finals_text[-3:], " ".join(w.word for w in words)) if p)

    def _context(self, words: list[Word]) -> list[Word]:
        """The seam context of a decode whose audio starts right after `words` (the last final's tail first)."""
        return [*self._tail, *words][-self.config.seam_max_ngram :]

    def _keeps_segment(self) -> bool:
        """Whether the open segment's audio after its last sealed pause stays buffered for the final."""
        limit = self.config.final_redecode_max_seconds * SAMPLE_RATE
        return self.config.final_redecode and self._commit_sample - self._sealed_end <= limit

    def _speech_end(self) -> int:
        """Where a final's audio ends: the last voiced window plus a short margin, never past what arrived."""
        return min(self.total, self._last_speech + int(self.config.final_tail_pad_seconds * SAMPLE_RATE))

    def _prefinal_due(self) -> bool:
        if not self.config.final_redecode or not self.config.prefinal_silence_ms or not self._has_speech:
            return False
        wait = max(self.config.prefinal_silence_ms * SAMPLE_RATE // 1000,
                   int(self.config.final_tail_pad_seconds * SAMPLE_RATE))
        return self.total - self._last_speech >= wait and self._last_speech > self._sealed_end

    def _chunk_cut(self) -> int | None:
        """Where continuous speech gets sealed: the quietest VAD window once `seal_chunk_seconds` are unsealed."""
        chunk = int(self.config.seal_chunk_seconds * SAMPLE_RATE)
        if not chunk or not self.config.final_redecode or self._last_speech - self._sealed_end < chunk:
            return None
        if self._prefinal_for is not None and self._prefinal_for[0] == self._sealed_end:
            return None  # a decode from this point is in flight (or waits to be sealed)
        self._vad_trace = [t for t in self._vad_trace if t[0] > self._sealed_end]
        low, high = self._sealed_end + chunk // 2, self._last_speech - SAMPLE_RATE // 2
        window = [t for t in self._vad_trace if low <= t[0] <= high]
        if not window:
            return None
        end_sample, _ = min(window, key=lambda t: t[1])
        return end_sample - VAD_WINDOW // 2

    def prefinal_job(self) -> DecodeJob | None:
        """The decode a final would run on the audio so far, speculated once per pause, or a chunk of
        continuous speech up to a quiet point, to be sealed once speech went on past it."""
        start = self._sealed_end
        if self._prefinal_due() and self._prefinal_for != (start, self._last_speech):
            end = self._speech_end()
            self._prefinal_for = (start, self._last_speech)
        else:
            cut = self._chunk_cut()
            if cut is None:
                return None
            end = cut
            self._prefinal_for = (start, cut)
        if end - start > self.config.final_redecode_max_seconds * SAMPLE_RATE:
            return None
        return DecodeJob("prefinal", self.generation, self.audio.slice(start, end), start,
                         self._prompt(self._sealed, self.config.prompt_finals), self.language, "endpointing",
                         redecode=True, sealed=list(self._sealed), context=self._context(self._sealed),
                         end_sample=end)

    @property
    def sealed_end(self) -> int:
        """Session sample up to which speech is sealed (the next final decodes from here)."""
        return self._sealed_end

    def prefinal_current(self, job: DecodeJob) -> bool:
        """Whether a speculative decode still starts where the open segment's undecoded audio starts."""
        return job.generation == self.generation and job.start_sample == self._sealed_end

    def seal(self, job: DecodeJob, result: DecodeResult, final: bool = False) -> bool:
        """Keep a speculative decode's words once speech resumed after its pause; False while it has not.

        A decode of less than `min_seal_seconds` is let go instead (True as well): the next one starts
        from the same point and hears the phrase with what follows it. So is one whose speech has gone on less
        than `seal_after_speech_seconds` past it when a `final` comes (before that it waits: False)."""
        if not self.prefinal_current(job):
            return False
        if self._last_speech <= job.end_sample:
            return False  # no speech after that pause (yet): a final may still reuse the decode whole
        short_tail = self._last_speech - job.end_sample < self.config.seal_after_speech_seconds * SAMPLE_RATE
        if short_tail and not final:
            return False
        if short_tail or job.end_sample - job.start_sample < self.config.min_seal_seconds * SAMPLE_RATE:
            self._prefinal_for = None
            return True
        self._sealed += timeline_words(job, result, self.seams)
        self._sealed_end = job.end_sample
        if self._sealed_end >= self._commit_sample:
            # Partials lagged behind: they continue after the sealed words (what the final will say).
            self.committed, self._commit_sample, self._hypotheses = list(self._sealed), self._sealed_end, []
        self.audio.drop_until(min(self._sealed_end, self._commit_sample))
        return True

    def partial_job(self, spacing: float = 0.0) -> DecodeJob | None:
        """A decode of the uncommitted tail, when enough new speech arrived (`partial_interval_seconds`, or
        `spacing` when the shared decoder asks for more) and none is in flight."""
        if self.partial_in_flight or not self._has_speech or self._last_speech <= self._commit_sample:
            return None
        if self._prefinal_due():
            return None
        if self.total - self._last_partial_total < max(self.config.partial_interval_seconds, spacing) * SAMPLE_RATE:
            return None
        if self.total - self._commit_sample < self.config.min_partial_seconds * SAMPLE_RATE:
            return None
        self._last_partial_total = self.total
        self.partial_in_flight = True
        audio = self.audio.slice(self._commit_sample, self.total)
        return DecodeJob("partial", self.generation, audio, self._commit_sample,
                         self._prompt(self.committed, self.config.prompt_partials), self.language,
                         context=self._context(self.committed))

    def apply_partial(self, job: DecodeJob, result: DecodeResult | None) -> str | None:
        """Commit the words consecutive decodes agree on; returns new partial text or None."""
        if job.generation != self.generation:
            return None  # a final overtook this decode; its flag was reset then
        self.partial_in_flight = False
        if result is None or job.start_sample != self._commit_sample:
            return None
        if self.language is None and result.language:
            self.language = result.language
        words = trim_seam(job.context, result.words, job.start_sample / SAMPLE_RATE, self.seams)
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
            self.audio.drop_until(keep)
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
        prompt = self._prompt(self._sealed, self.config.prompt_finals)
        sealed, self._sealed = self._sealed, []
        pause, self._pause = self._pause, None
        start, speech = self._sealed_end, self._last_speech
        if reason in WORD_BOUNDARY_REASONS and (committed or sealed):
            cut = end = max(self._commit_sample, start)
        elif pause is not None and pause[0] == reason:
            # Cut where the pause was found, not where the final is decided: speech that resumed since
            # (the decode of an earlier final took a while) belongs to the next segment, whole.
            speech, cut = pause[1], pause[2]
            end = min(cut, speech + int(self.config.final_tail_pad_seconds * SAMPLE_RATE))
        else:
            cut, end = self.total, self._speech_end()
        if upto is not None:
            # A `finalize` covers the audio received before it, not audio that arrived while it
            # waited in line (clients sending faster than real time put both in flight at once).
            cut, end = min(cut, upto), min(end, upto)
        min_samples = self.config.min_decode_speech_seconds * SAMPLE_RATE
        heard = self._has_speech and speech > start and end - start >= min_samples
        redecode = self.config.final_redecode and end - start <= self.config.final_redecode_max_seconds * SAMPLE_RATE
        if redecode:
            audio = self.audio.slice(start, end) if heard else None
            context = self._context(sealed)
        else:
            sealed, prompt, start = [], self._prompt(committed, self.config.prompt_finals), self._commit_sample
            tail = self._has_speech and speech > start and reason not in WORD_BOUNDARY_REASONS
            audio = self.audio.slice(start, end) if tail and end - start >= min_samples else None
            context = self._context(committed)
        job = DecodeJob("final", self.generation, audio, start, prompt, self.language, reason, committed,
                        redecode, sealed, cut, context, end)
        self.audio.drop_until(cut)
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
        decoded = timeline_words(job, result, self.seams)
        if job.redecode:
            # What partials committed after the decode's last word (all of it if the decode heard nothing).
            span = (job.start_sample / SAMPLE_RATE, job.end_sample / SAMPLE_RATE)
            words = [*job.sealed, *decoded, *heard_after(decoded, job.committed, span, self.seams)]
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
        if words:
            self._tail = words[-self.config.seam_max_ngram :]
        return segment

    @property
    def has_pending_speech(self) -> bool:
        return bool(self.committed or self._sealed) or (self._has_speech and self._last_speech > self._commit_sample)
