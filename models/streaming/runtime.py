"""Process-wide live state: session slots, the shared decode scheduler, decoders per engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from models.registry import LoadedModel, ModelRegistry
from models.streaming.config import LiveModelConfig, LiveServerConfig, live_model_config
from models.streaming.decoder import LiveDecoder
from models.streaming.scheduler import DecodeScheduler
from models.streaming.session import LiveSession, SessionOptions
from models.streaming.vad import StreamingVad

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LivePlan:
    """Which decoder serves a session and with which policy."""

    decoder: LiveDecoder
    config: LiveModelConfig


class LiveRuntime:
    """One per server. Not thread-safe: used from the event loop only."""

    def __init__(self, registry: ModelRegistry, config: LiveServerConfig) -> None:
        self.registry = registry
        self.config = config
        self.scheduler = DecodeScheduler(config.decode_workers, config.partial_max_age_seconds)
        self._decoders: dict[tuple[str, str], LiveDecoder] = {}
        self._sessions: set[str] = set()

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    def try_reserve(self, session_id: str) -> bool:
        """Take a session slot; False when the configured cap is reached."""
        if len(self._sessions) >= self.config.max_sessions:
            return False
        self._sessions.add(session_id)
        return True

    def release(self, session_id: str) -> None:
        self._sessions.discard(session_id)
        self.scheduler.drop_session(session_id)

    def plan(self, model: LoadedModel, language: str | None) -> LivePlan:
        """The model's live config; a pinned language may be routed to a faster engine (`engine_by_language`)."""
        config = live_model_config(model.config.live)
        target = model
        decoder_config = config.decoder
        other = config.engine_by_language.get(language or "")
        if other:
            found = self.registry.get(other)
            if found is None:
                log.warning("live engine_by_language names unknown model %r; using %s", other, model.name)
            else:
                target = found
                decoder_config = config.decoder_by_engine.get(other, decoder_config)
        key = (model.name, target.name)
        decoder = self._decoders.get(key)
        if decoder is None:
            decoder = self._decoders[key] = LiveDecoder(target.engine, decoder_config)
        return LivePlan(decoder, config)

    def new_session(self, plan: LivePlan, options: SessionOptions) -> LiveSession:
        return LiveSession(plan.config.session, options, StreamingVad(plan.config.vad))

    def shutdown(self) -> None:
        self.scheduler.shutdown()
