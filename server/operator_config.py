"""Typed YAML sections for the operator features: `metrics`, `openai` and `playground` (fields of
`server/config.ServerConfig`)."""

from __future__ import annotations

from pydantic import Field

from models.streaming.config import _Strict


class MetricsConfig(_Strict):
    """`GET /metrics` (Prometheus text format)."""

    enabled: bool = True
    # When true, /metrics asks for the same Bearer API key as the transcription routes.
    require_key: bool = False
    # Request latency histogram buckets (seconds); transcription requests run from ~0.1 s to minutes.
    latency_buckets: list[float] = Field(
        default_factory=lambda: [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0]
    )
    # finalize → final on live sessions; the live benchmark measures ~0.3–1.5 s on 2 cores.
    finalize_buckets: list[float] = Field(
        default_factory=lambda: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0]
    )


class OpenAIConfig(_Strict):
    """The OpenAI-compatible audio API under `/v1`."""

    enabled: bool = True
    # Extra model names OpenAI clients may send, mapped onto a configured Pulse model.
    aliases: dict[str, str] = Field(default_factory=lambda: {"whisper-1": "pulse"})


class PlaygroundConfig(_Strict):
    """The browser playground at `/playground`: `auto` serves it only when bound to a loopback address."""

    enabled: bool | None = None  # None = auto
