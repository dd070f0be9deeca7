"""Typed live-path hyper-parameters: server-wide (`live:` in the YAML) and per model (`models.<name>.live`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VadConfig(_Strict):
    """Streaming Silero VAD thresholds (faster-whisper's bundled ONNX, 32 ms windows at 16 kHz)."""

    threshold: float = 0.5
    # Falling below this ends speech; between the two the previous state holds (hysteresis).
    neg_threshold: float = 0.35
    # Voiced time needed before `speech_started` fires, so clicks do not open a segment.
    min_speech_ms: int = 96
    # Quiet time (every window below `neg_threshold`) after which the LSTM state starts afresh; 0 never.
    # Longer than a pause inside a sentence: cleared after 1 s, JFK's "ask not" (0.3 s after such a
    # pause) lost 11 of its 13 voiced windows; from 1.5 s on, its decisions equal a never-cleared VAD's.
    reset_after_silence_ms: int = Field(2000, ge=0)


class DecoderConfig(_Strict):
    """How one live decode pass calls the CTranslate2 Whisper model."""

    beam_size: int = 1
    # Encoder input is the speech padded by this much, never shorter than `min_window_seconds`;
    # `full_window: true` keeps Whisper's 30 s window (needed by models that loop on short input).
    full_window: bool = False
    pad_seconds: float = 2.0
    # Final decodes (speculative ones at pauses included) are padded by this much instead, when set: a
    # longer window costs encoder time only on the decode whose words are kept.
    final_pad_seconds: float | None = None
    # Final decodes get this much silence (zero samples) appended to their audio before the window is padded:
    # the window's padding is zero log-mel frames, which are not silence, and a stream that ends just after a
    # word lost that word under float32 numerics ("in being comparatively" for "... modern", audio ending
    # 0.28 s after it).
    final_silence_seconds: float = Field(0.0, ge=0)
    # Encode a batch in one CTranslate2 call (GPU); on CPU rows are encoded one by one (measured faster),
    # generate and alignment stay batched either way.
    batch_encode: bool = False
    min_window_seconds: float = 5.0
    max_new_tokens: int = 96
    # A final re-decodes its whole segment once: wider search, room for a long segment's tokens.
    final_beam_size: int = 5
    final_max_new_tokens: int = 224
    # No decode generates more tokens than this per second of its audio (plus a few): fast speech is
    # ~3-4 words, ~5 tokens a second, so only a decode looping on itself reaches it.
    max_tokens_per_second: float = 8.0
    # Speculative final decodes (at pauses) search greedily: they wait in the partial lane and a
    # running decode cannot be pre-empted by another session's final.
    greedy_speculative: bool = True
    # A greedy final decode whose last word ends this long before its audio does (the audio ends a short
    # tail pad after the VAD's last speech) is searched again with `final_beam_size`.
    early_stop_seconds: float = 1.0
    # Prompt text (previous finals, committed words) handed to the decoder, in characters (most
    # recent kept, cut at a word boundary). Which decodes get a prompt: `SessionConfig.prompt_*`.
    prompt_chars: int = 200
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    # Prompt-conditioned decodes that look degenerate are retried without the prompt.
    compression_ratio_threshold: float = 2.4


class SessionConfig(_Strict):
    """Partial/final policy of one live session."""

    # A partial is scheduled once this much new audio arrived since the last one.
    partial_interval_seconds: float = 0.5
    # Words are committed after this many consecutive decodes agree on them (local agreement).
    agreement: int = 2
    # Forced final when a segment grows beyond this (keeps decode cost bounded).
    max_segment_seconds: float = 20.0
    # A final's text comes from one decode of its whole segment (partial commits only drive the
    # partials and the cut points): no garbled joins between committed words and the tail.
    # Segments longer than `final_redecode_max_seconds` fall back to committed words + tail decode.
    final_redecode: bool = True
    final_redecode_max_seconds: float = 24.0
    # After this much trailing silence (never less than `final_tail_pad_seconds`) the final's segment
    # decode starts speculatively; a final on the same audio (endpointing, finalize) reuses it.
    # Partials pause meanwhile: they would only re-hear the same speech. 0 turns speculation off.
    prefinal_silence_ms: int = 300
    # Continuous speech without such pauses is sealed in chunks: once this much speech is unsealed, the
    # audio up to its quietest VAD window (in the second half) is decoded speculatively and sealed,
    # so a final never decodes much more than this. 0 = pauses only.
    seal_chunk_seconds: float = 6.0
    # A pause's speculative decode shorter than this is not sealed when speech resumes: a phrase decoded
    # alone, cut at every short pause, loses or garbles words at the cut ("turnips" → "Her nips"); the
    # next decode covers it again with what follows. 0 seals at every pause. Up to 3 s the longer decode
    # costs no encoder time (the window is never under `min_window_seconds`).
    min_seal_seconds: float = 3.0
    # A speculative decode is sealed only once speech goes on this far past its end; a final that comes sooner
    # decodes the stretch again with that short tail (a lone "five" decoded on its own came back "5 5"). 0 seals
    # as soon as speech resumes.
    seal_after_speech_seconds: float = Field(1.0, ge=0)
    # Word-count rollover when the client leaves `max_words` unset and `finalize_on_words` is on.
    default_max_words: int = 40
    default_eou_timeout_ms: int = 800
    default_endpointing_ms: int = 600
    # Leading silence kept in front of speech when the buffer is trimmed while nothing is said.
    preroll_seconds: float = 0.4
    # Speech shorter than this at the end of a segment is not worth a decode.
    min_decode_speech_seconds: float = 0.15
    # Whisper guesses wildly on very short audio: no partial before this much uncommitted audio.
    min_partial_seconds: float = 0.8
    # A final decodes up to the last voiced VAD window plus this margin; trailing silence invites
    # hallucinated words ("Thank you.", "Free.").
    final_tail_pad_seconds: float = 0.3
    # Prompts: a decode may repeat its prompt (seen on AVX2 CPUs and with float32 numerics), so
    # decodes of a final's audio (finals and their speculative decodes at pauses) get none; partials
    # are prompted with previous finals and committed words, and their seams are trimmed.
    prompt_finals: bool = False
    prompt_partials: bool = True
    # Seams (models/streaming/seams.py): a decode's head repeating (up to `seam_max_ngram` of) the
    # committed words just before its audio is dropped when it starts within `seam_window_seconds` of the
    # last committed word's end (one word: `echo_seconds`); so are words shorter than `min_word_seconds`
    # at either end of a decode or in runs inside it (text without audio under it), and the second copy
    # of a run a decode says twice in a row in under `seam_echo_ratio` of the first copy's time (or with a
    # third of its words unvoiced: the decoder looping).
    seam_window_seconds: float = 1.0
    echo_seconds: float = 0.4
    min_word_seconds: float = 0.02
    seam_max_ngram: int = 8
    seam_echo_ratio: float = 0.25


class LiveEngineConfig(_Strict):
    """The CTranslate2 model instance live decodes run on."""

    # Own instance (same weights) so live decodes never queue behind a pre-recorded file on the
    # registry's engine; false shares the registry's engine.
    dedicated: bool = True
    # Overrides of the registry model's settings for the live instance (None = the model's own).
    compute_type: str | None = None
    cpu_threads: int | None = None
    # Threads that generate and align (None = the registry model's `generate_threads`; see models/ct2_threads.py).
    generate_threads: int | None = Field(None, ge=1)


class LiveModelConfig(_Strict):
    """`models.<name>.live`: decoder knobs and an optional faster engine per pinned language."""

    decoder: DecoderConfig = Field(default_factory=DecoderConfig)
    session: SessionConfig = Field(default_factory=SessionConfig)
    vad: VadConfig = Field(default_factory=VadConfig)
    engine: LiveEngineConfig = Field(default_factory=LiveEngineConfig)
    # e.g. {"en": "pulse-pro"}: decode pinned English on that registry model's engine.
    engine_by_language: dict[str, str] = Field(default_factory=dict)
    # Decoder overrides per registry model name used through `engine_by_language`.
    decoder_by_engine: dict[str, DecoderConfig] = Field(default_factory=dict)


class LiveServerConfig(_Strict):
    """Top-level `live:` section: limits shared by every session."""

    max_sessions: int = 64
    idle_timeout_seconds: float = 30.0
    # Decode threads; each runs one batched CTranslate2 call at a time (the live model instance gets as
    # many CTranslate2 workers). Two let a final start while a partial call runs: on 2 AVX2 cores, 8
    # sessions' finalize→final p95 went 2.5 → 1.9–2.2 s with 1 → 2 workers (scripts/bench_streaming.py).
    decode_workers: int = 2
    # Decodes due together (across sessions) run as one batch of at most `max_batch` requests
    # (1 = no batching). An idle worker waits up to `gather_ms` for more requests to join: 60 ms lets
    # finalizes sent in the same instant share one call (8 sessions' p95 2.5–3.6 s at 20 ms, 2.3–2.8 s at 60).
    max_batch: int = 8
    gather_ms: int = 60
    # Partials of at most this many sessions share a call, so a final that arrives meanwhile waits for a
    # short one; partials never join a call with finals or speculative final decodes.
    max_partial_batch: int = 4
    # All sessions' partials together take at most this share of the decode workers' time: each
    # session's partials are spaced out (never closer than its `partial_interval_seconds`) by
    # sessions × measured seconds per partial ÷ (share × workers), on whatever CPU this runs.
    partial_share: float = 0.5
    # Requests join a batch only if their encoder window is at most this × the first one's
    # (padding short audio to a long window costs encoder time).
    batch_window_ratio: float = 2.0
    # A queued partial older than this is dropped: a newer one will describe the audio better.
    partial_max_age_seconds: float = 1.0
    # Partials are shed (no new ones are started) while any queued decode has waited longer than this.
    shed_partials_after_seconds: float = 0.25
    # Bounded inbound audio: a session whose undecoded buffer reaches this is force-finalised, and
    # older audio is dropped so memory stays bounded whatever the client sends.
    max_buffer_seconds: float = 60.0
    # A fed chunk longer than this runs its VAD on a worker thread instead of the event loop.
    vad_in_thread_seconds: float = 1.0
    # While a final decodes, models with `prerecorded_process: true` have their pre-recorded decode process
    # stopped, for at most this long in a row (then it runs until the finals end); 0 = never stopped.
    pause_prerecorded_max_seconds: float = Field(1.0, ge=0)
