"""Typed view of a `configs/*.yaml` file: which engine and weights serve each public model name."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    best_of: int = 5
    temperature: list[float] = Field(default_factory=lambda: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    condition_on_previous_text: bool = True
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    vad_filter: bool = True
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 400
    vad_threshold: float = 0.5
    hallucination_silence_threshold: float | None = None
    # Cross-request batching (models/batching.py): windows per CTranslate2 call, how long the first
    # waits for company, and a speech stretch this long with no word is re-decoded on its own.
    batch_size: int = 8
    batch_gather_ms: float = 20.0
    redecode_min_seconds: float = 0.5
    coverage_tolerance_seconds: float = 0.5
    # The last word before a VAD speech end is extended to it when it stops at most this much earlier.
    word_end_snap_seconds: float = 1.0
    # A window whose text compresses beyond compression_ratio_threshold (a loop) is decoded again
    # with repeated n-grams of this size forbidden; 0 keeps the loop.
    loop_no_repeat_ngram_size: int = 4
    # False: the encoder sees each window's speech padded up to whole window_step_seconds, not 30 s.
    full_window: bool = True
    window_step_seconds: float = 10.0


class ModelConfig(_Strict):
    """One public model name (`pulse`, `pulse-pro`) and how to run it."""

    engine: Literal["faster-whisper"] = "faster-whisper"
    description: str = ""
    weights: WeightsConfig
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    num_workers: int = 1
    max_queue: int = 8
    english_only: bool = False
    streaming: bool = False
    batch: DecodeConfig = Field(default_factory=DecodeConfig)
    # Seconds of audio handed to the model at once; longer files are cut at quiet points so
    # memory stays bounded whatever the file length.
    chunk_seconds: float = 300.0
    chunk_search_seconds: float = 15.0
    # Sentence splitting for utterances[]: a pause this long also ends an utterance.
    utterance_pause_seconds: float = 0.8
    live: dict[str, Any] = Field(default_factory=dict)


class LimitsConfig(_Strict):
    max_upload_bytes: int = 250 * 1024 * 1024
    spool_memory_bytes: int = 8 * 1024 * 1024


class PulseConfig(_Strict):
    """The whole YAML file."""

    models: dict[str, ModelConfig]
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    stages: dict[str, Any] = Field(default_factory=dict)
    live: dict[str, Any] = Field(default_factory=dict)
    jobs: dict[str, Any] = Field(default_factory=dict)


def load_config(path: str | Path) -> PulseConfig:
    """Read and validate a YAML config; raises ValueError with the file name on bad content."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ValueError(f"cannot read config {path}: {exc}") from exc
    try:
        return PulseConfig.model_validate(raw)
    except Exception as exc:  # pydantic's ValidationError carries the field paths
        raise ValueError(f"invalid config {path}: {exc}") from exc
