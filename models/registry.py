"""Model registry: public model names → loaded engines and their work pools, built once at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from models.asr import WhisperEngine
from models.config import ModelConfig, PulseConfig
from models.forward_process import ForwardProcessError
from models.pause_gate import PauseGate
from models.pool import InferencePool
from models.priority import keep_blas_on_calling_threads

log = logging.getLogger(__name__)


class ModelLoadError(RuntimeError):
    """A configured model could not be loaded; start-up must stop with this message."""


@dataclass
class LoadedModel:
    name: str
    config: ModelConfig
    engine: WhisperEngine
    pool: InferencePool


class ModelRegistry:
    def __init__(self, models: dict[str, LoadedModel], pause_gate: PauseGate | None = None) -> None:
        self._models = models
        # Live finals stop the models' pre-recorded decode processes while they decode (models/pause_gate.py).
        self.pause_gate = pause_gate or PauseGate(0.0)

    @classmethod
    def load(cls, config: PulseConfig, cache_dir: Path) -> ModelRegistry:
        """Load every configured model; engines with identical weights are shared."""
        keep_blas_on_calling_threads()  # BLAS work keeps its caller's priority (models/priority.py)
        engines: dict[tuple[str, ...], WhisperEngine] = {}
        loaded: dict[str, LoadedModel] = {}
        for name, mc in config.models.items():
            key = (mc.weights.model_dump_json(), mc.device, mc.compute_type)
            try:
                engine = engines.get(key) or WhisperEngine(name, mc, cache_dir)
            except Exception as exc:
                raise ModelLoadError(f"model {name!r} failed to load: {exc}") from exc
            engines[key] = engine
            # Up to batch_size requests per worker run at once: their windows share batched decodes.
            workers = mc.num_workers * max(1, mc.batch.batch_size)
            loaded[name] = LoadedModel(name, mc, engine, InferencePool(name, workers, mc.max_queue, nice=mc.nice))
            log.info("model %s ready (%s)", name, engine.model_dir)
        gate = PauseGate(config.live.pause_prerecorded_max_seconds)
        for engine in engines.values():
            if engine.forward_process is not None:
                try:  # the decode processes loaded their weights meanwhile
                    engine.forward_process.wait_ready()
                except ForwardProcessError as exc:
                    raise ModelLoadError(f"model {engine.name!r} failed to load: {exc}") from exc
                gate.register(lambda process=engine.forward_process: process.pid)
        return cls(loaded, gate)

    def get(self, name: str) -> LoadedModel | None:
        return self._models.get(name)

    def names(self) -> list[str]:
        return list(self._models)

    def shutdown(self) -> None:
        self.pause_gate.close()
        for model in self._models.values():
            model.pool.shutdown()
            model.engine.batcher.close()
