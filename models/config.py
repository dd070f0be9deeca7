"""Typed inference sections of a `configs/*.yaml` file: models, limits, stages, live.

`server/config.py` adds the `jobs` section and loads the whole file once at start-up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError

from models.redaction.config import RedactionConfig
from models.speakers.config import SpeakerStagesConfig
from models.streaming.config import LiveModelConfig, LiveServerConfig, _Strict


class WeightsConfig(_Strict):
    """Where a CTranslate2 Whisper model lives.

    Exactly one source is used, checked in this order:
    - `path`: a local CTranslate2 model directory (GPU deployments after `scripts/fetch_models.py`).
    - `package`: an installed Python package that carries the model directory (`subdir` inside it).
    - `parts`: installed packages whose `model.bin.part*` files are concatenated once into the
      cache directory (their other files are copied beside it); `sha256` verifies the result.
    `hub` names the model id that `scripts/fetch_models.py` downloads into `path` at deploy time;
    it is never fetched at run time.
    """

    path: str | None = None
    package: str | None = None
    subdir: str = "model"
    parts: list[str] = Field(default_factory=list)
    parts_subdir: str = "data"
    sha256: str | None = None
    size: int | None = None
    hub: str | None = None


class DecodeConfig(_Strict):
    """Named decoding hyper-parameters passed to faster-whisper."""

    beam_size: int = 5
    # Each window is decoded once at temperature[0] (no fallback schedule: the same file gives the
    # same transcript); the OpenAI route's `temperature` replaces it per request.
    temperature: list[float] = Field(default_factory=lambda: [0.0])
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    vad_filter: bool = True
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 400
    vad_threshold: float = 0.5
    # Silero's LSTM state starts afresh after this much quiet (0: carried through the file, as faster-whisper does):
    # carried, it drifts and quiet speech after a pause stops counting (models/coverage.py).
    vad_reset_after_silence_ms: int = Field(2000, ge=0)
    # Energy gate before Silero VAD: a stretch whose peak stays under vad_silence_gate_dbfs for more than
    # vad_silence_gate_seconds is not run through the VAD (1 s of each end still is); ≤ 2 s turns it off.
    vad_silence_gate_dbfs: float = -60.0
    vad_silence_gate_seconds: float = 4.0
    # Cross-request batching (models/batching.py): windows per CTranslate2 call, how long the first
    # waits for company, and a speech stretch this long with no word is re-decoded on its own.
    batch_size: int = 8
    batch_gather_ms: float = 20.0
    redecode_min_seconds: float = 0.5
    # A window packed from several regions whose own words cover less than this share of its speech is
    # decoded again one region per window, replacing its output; 0 turns this off.
    window_redecode_coverage: float = 0.5
    coverage_tolerance_seconds: float = 0.5
    # The last word before a VAD speech end is extended to it when it stops at most this much earlier.
    word_end_snap_seconds: float = 1.0
    # English hesitation words (uh, um, er, hmm …) are left out of words and text, as Pulse does.
    drop_fillers: bool = True
    # Words the aligner gave no time, this many or more at one instant, are dropped: made up, with no audio under
    # them (models/asr.py `_piled_up`); 0 keeps them.
    drop_piled_words: int = Field(3, ge=0)
    # A window whose text compresses beyond compression_ratio_threshold (a loop) is decoded again
    # with repeated n-grams of this size forbidden; 0 keeps the loop.
    loop_no_repeat_ngram_size: int = 4
    # A stretch re-decoded on its own (redecode_min_seconds) whose decode loops is dropped, not decoded again:
    # on a second or two of audio a loop is Whisper making text up.
    drop_looping_stretches: bool = True
    # A stretch re-decoded on its own that comes back with more than this many words per second of the audio it
    # was decoded from (the stretch and its padding) + 1 is dropped: on the last 0.16 s of a clip Whisper base
    # appended "Thank you very much." (float32) and "I'll see you in the next video." (a 16 kHz WAV of the same
    # clip). Measured over the stretch alone it also dropped fast real speech (AMI dev00's 5 words in 0.64 s of
    # VAD speech). 0 turns this off.
    redecode_max_words_per_second: float = 5.0
    # A re-decoded stretch that still has no word is decoded once more with this much real audio on each side
    # (the VAD padding alone gives Whisper under a second and a half to place a short word in); only words
    # whose middle is inside the stretch are kept. 0 turns this second try off.
    redecode_context_seconds: float = Field(0.0, ge=0)
    # False: the encoder sees each window's speech padded up to whole window_step_seconds, not 30 s.
    full_window: bool = True
    window_step_seconds: float = 10.0
    # One encoder call for all windows of a batched call. False: the windows are encoded one by one and
    # only generation is batched; on 2 AVX2 cores CTranslate2's batched encoder took 1.3–1.6× longer
    # than the same 30 s windows one by one (2 windows 5.5 vs 3.6 s, 4: 8.3 vs 6.2 s); on 2 AVX-512/AMX
    # cores (Intel Xeon) 4 windows took 1.77 vs 1.58 s (base), 0.91 vs 0.79 s (tiny.en). GPUs want true.
    batch_encode: bool = False


class ModelConfig(_Strict):
    """One public model name (`pulse`, `pulse-pro`) and how to run it."""

    engine: Literal["faster-whisper"] = "faster-whisper"
    description: str = ""
    weights: WeightsConfig
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    num_workers: int = 1
    # CTranslate2 threads that generate and align (pre-recorded windows, and live decodes unless
    # `live.engine.generate_threads` says otherwise; the encoder keeps cpu_threads);
    # fewer than cpu_threads loads a second instance of the weights for it (models/ct2_threads.py:
    # GNU OpenMP throttles small parallel regions once a process holds more OpenMP threads than CPUs).
    # None = one instance on cpu_threads. Ignored off the CPU.
    generate_threads: int | None = Field(None, ge=1)
    max_queue: int = 8
    # OS niceness (Linux, 0-19) of this model's pre-recorded work: its CTranslate2 threads, request
    # pipeline threads and batch dispatcher. Live decodes run on their own instance at 0, so a long
    # file yields the CPU to live sessions rather than delaying their finals. 0 = no change.
    nice: int = 10
    # Decode pre-recorded windows in a child process with its own copy of the weights, which live
    # finals stop while they decode (live.pause_prerecorded_max_seconds; models/forward_process.py).
    # CPU only: a GPU deployment keeps them in the server process.
    prerecorded_process: bool = False
    english_only: bool = False
    streaming: bool = False
    batch: DecodeConfig = Field(default_factory=DecodeConfig)
    # Seconds of audio handed to the model at once; longer files are cut at quiet points so
    # memory stays bounded whatever the file length.
    chunk_seconds: float = 300.0
    chunk_search_seconds: float = 15.0
    # Sentence splitting for utterances[]: a pause this long also ends an utterance.
    utterance_pause_seconds: float = 0.8
    live: LiveModelConfig = Field(default_factory=LiveModelConfig)


class LimitsConfig(_Strict):
    max_upload_bytes: int = 250 * 1024 * 1024
    spool_memory_bytes: int = 8 * 1024 * 1024
    max_audio_seconds: float = 4 * 3600.0  # decoded duration cap (a tiny file must not decode to hours)
    min_sample_rate: int = 4000  # a header below this is refused before decoding
    max_url_bytes: int = 32 * 1024  # longer request URLs get 414 (httptools mangles ≥ 64 KB)
    max_live_frame_bytes: int = 1024 * 1024  # one WebSocket audio message; larger ends the session (1009)
    # Slow clients: an upload that sends nothing for `body_idle_seconds`, or averages under
    # `min_body_bytes_per_second` once `body_rate_grace_seconds` have passed, gets a 408.
    body_idle_seconds: float = 30.0
    min_body_bytes_per_second: int = 1024
    body_rate_grace_seconds: float = 30.0
    # Slowloris: a connection whose request line and headers are not complete this long after it opened
    # (or after its next request began) is closed, with a 408 if a request had started; 0 turns it off.
    header_timeout_seconds: float = 30.0


class RedactionStageConfig(RedactionConfig):
    """`stages.redaction`: the engine's thresholds plus whether the stage loads at all."""

    # `false`: the redactor is not loaded and `redact_pii` / `redact_pci` get a 400.
    enabled: bool = True


class StagesConfig(SpeakerStagesConfig):
    """YAML `stages`: one typed section per enrichment stage; an unknown stage name is an error."""

    redaction: RedactionStageConfig = Field(default_factory=RedactionStageConfig)


class PulseConfig(_Strict):
    """The inference part of the YAML file (the server's `jobs` section is added in server/config.py)."""

    models: dict[str, ModelConfig]
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    stages: StagesConfig = Field(default_factory=StagesConfig)
    live: LiveServerConfig = Field(default_factory=LiveServerConfig)


def describe_errors(error: ValidationError) -> str:
    """One line per problem, each naming its YAML path: `stages.diarization.max_speakerz: extra field not permitted`."""
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = "extra field not permitted" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"{path}: {message}")
    return "\n".join(lines)
