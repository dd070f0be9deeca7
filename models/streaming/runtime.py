"""Process-wide live state: session slots, the shared batched decode scheduler, live model instances."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import WhisperModel

from models.config import ModelConfig
from models.ct2_threads import SplitThreadsModel, load_local_whisper, split_threads
from models.registry import LoadedModel, ModelRegistry
from models.streaming.config import LiveEngineConfig, LiveModelConfig, LiveServerConfig
from models.streaming.decoder import LiveDecoder
from models.streaming.scheduler import DecodeScheduler
from models.streaming.session import LiveSession, SessionOptions
from models.streaming.vad import StreamingVad

log = logging.getLogger(__name__)


def load_live_model(model_dir: Path, model: ModelConfig, engine: LiveEngineConfig, workers: int = 1) -> WhisperModel:
    """A CTranslate2 Whisper instance on a registry model's weights, with the live overrides applied;
    `workers` calls may run on it at once (one per decode worker)."""
    return load_local_whisper(str(model_dir), model.device, engine.compute_type or model.compute_type,
                              engine.cpu_threads or model.cpu_threads, workers)


def load_live_instance(
    model_dir: Path, model: ModelConfig, engine: LiveEngineConfig, workers: int = 1
) -> WhisperModel | SplitThreadsModel:
    """The live lane's model as the server runs it: `load_live_model`, generating and aligning on
    `generate_threads` (the engine's, else the model's) when that is fewer threads (models/ct2_threads.py)."""
    threads = engine.cpu_threads or model.cpu_threads

    def load(cpu_threads: int) -> WhisperModel:
        return load_live_model(model_dir, model, engine.model_copy(update={"cpu_threads": cpu_threads}), workers)

    return split_threads(load(threads), load, engine.generate_threads or model.generate_threads, threads, model.device)


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
        self.scheduler = DecodeScheduler(config, registry.pause_gate)
        self._decoders: dict[tuple[str, str], LiveDecoder] = {}
        self._models: dict[tuple[str, str, int, int | None], WhisperModel | SplitThreadsModel] = {}
        self._sessions: set[str] = set()

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    def try_reserve(self, session_id: str) -> bool:
        """Take a session slot; False when the configured cap is reached."""
        if len(self._sessions) >= self.config.max_sessions:
            return False
        self._sessions.add(session_id)
        self.scheduler.sessions = len(self._sessions)
        return True

    def release(self, session_id: str) -> None:
        self._sessions.discard(session_id)
        self.scheduler.sessions = len(self._sessions)
        self.scheduler.drop_session(session_id)

    def plan(self, model: LoadedModel, language: str | None) -> LivePlan:
        """The model's live config; a pinned language may be routed to a faster engine (`engine_by_language`)."""
        config = model.config.live
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
            decoder = self._decoders[key] = LiveDecoder(self._model(target, config.engine), decoder_config)
        return LivePlan(decoder, config)

    def _model(self, target: LoadedModel, engine: LiveEngineConfig) -> WhisperModel | SplitThreadsModel:
        """The live lane's own model instance (loaded once per weights and settings), or the registry's."""
        if not engine.dedicated:
            return target.engine.decoding_model
        compute_type = engine.compute_type or target.config.compute_type
        threads = engine.cpu_threads or target.config.cpu_threads
        generate_threads = engine.generate_threads or target.config.generate_threads
        key = (str(target.engine.model_dir), compute_type, threads, generate_threads)
        found = self._models.get(key)
        if found is None:
            log.info("loading live instance of %s (%s, %d threads, generation on %s)", target.name, compute_type,
                     threads, generate_threads or threads)

            found = self._models[key] = load_live_instance(target.engine.model_dir, target.config, engine,
                                                           self.config.decode_workers)
        return found

    def preload(self) -> None:
        """Load the live instance of every streaming model now (start-up) instead of at its first session."""
        for name in self.registry.names():
            model = self.registry.get(name)
            if model is not None and model.config.streaming:
                self.plan(model, None)

    def new_session(self, plan: LivePlan, options: SessionOptions) -> LiveSession:
        return LiveSession(plan.config.session, options, StreamingVad(plan.config.vad), self.config.max_buffer_seconds)

    def shutdown(self) -> None:
        self.scheduler.shutdown()
