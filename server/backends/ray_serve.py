"""`pulse-server serve --backend ray`: the same FastAPI app as the ingress of a Ray Serve application.

Layout (sizes from the YAML `serve:` section, `server/serve_config.py`):
- `PulseIngress`: the app built by `server.app.create_app` (HTTP, WebSocket, async job workers). Its
  pre-recorded pipeline calls the deployments below through handles instead of running in-process.
  A live session decodes in the ingress replica that accepted its WebSocket (affinity by connection).
- `ModelDeployment` per model name; `StagesDeployment` for speaker/redaction (`ray_deployments.py`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, BinaryIO

import ray
from ray import serve
from ray.serve.exceptions import BackPressureError
from ray.serve.handle import DeploymentHandle

from models.audio import AudioDecodeError
from models.config import PulseConfig
from models.pipeline import PipelineResult, TranscribeOptions
from models.pool import PoolFull
from server.backends.cpu_limits import node_cores_env, reserve_for_replicas
from server.backends.ray_deployments import (
    BUSY,
    DECODE_ERROR,
    Chunking,
    ModelDeployment,
    Outcome,
    StagesDeployment,
    needs_stages,
)
from server.config import load_config
from server.options import PrerecordedRequest
from server.settings import Settings

log = logging.getLogger(__name__)

APP_NAME = "pulse"
BACKPRESSURE_RETRY_AFTER_S = 2
# Worker processes must never reach a model hub either.
RUNTIME_ENV = {"env_vars": {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}}


class RemotePipeline:
    """Stands in for the in-process pipeline: audio and options go to the model, then the stages deployment."""

    def __init__(self, models: dict[str, DeploymentHandle], stages: DeploymentHandle | None) -> None:
        self.models = models
        self.stages = stages

    async def __call__(
        self, parsed: PrerecordedRequest, source: BinaryIO, options: TranscribeOptions
    ) -> PipelineResult:
        audio = await asyncio.to_thread(source.read)
        name = parsed.model.name
        try:
            outcome: Outcome = await self.models[name].transcribe.remote((audio, options))
            if outcome.result is None:
                if outcome.error_kind == DECODE_ERROR:
                    raise AudioDecodeError(outcome.message)
                if outcome.error_kind == BUSY:
                    raise PoolFull(name, outcome.retry_after)
                raise RuntimeError(f"model deployment {name}: {outcome.message}")
            if self.stages is None or not needs_stages(options):
                return outcome.result
            config = parsed.model.config
            chunking = Chunking(config.chunk_seconds, config.chunk_search_seconds, config.utterance_pause_seconds)
            return await self.stages.enrich.remote(audio, outcome.result, options, chunking)
        except BackPressureError:
            raise PoolFull(name, BACKPRESSURE_RETRY_AFTER_S) from None


@serve.deployment
@serve.ingress()
class PulseIngress:
    """The FastAPI app of the local backend, with the pre-recorded pipeline going through handles."""

    def __init__(
        self, settings: Settings, models: dict[str, DeploymentHandle], stages: DeploymentHandle | None
    ) -> None:
        self.settings = settings
        self.pipeline = RemotePipeline(models, stages)

    def __serve_build_asgi_app__(self) -> Any:
        from server.app import create_app

        app = create_app(self.settings)
        app.state.remote_pipeline = self.pipeline
        return app


def build_application(settings: Settings, config: PulseConfig) -> Any:
    """The bound Serve application: ingress → one deployment per model (+ the stages deployment)."""
    layout = config.serve
    pin_env = node_cores_env()
    models: dict[str, Any] = {}
    for name in config.models:
        spec = layout.model(name)
        deployment = ModelDeployment.options(name=f"model-{name}", **spec.serve_options(pin_env))
        models[name] = deployment.bind(config, name, settings.cache_dir, spec)
    # With every stage switched off this deployment loads nothing and is never called.
    stages = StagesDeployment.options(name="stages", **layout.stages.serve_options(pin_env)).bind(config, layout.stages)
    ingress = PulseIngress.options(name="ingress", **layout.ingress.serve_options(pin_env))
    return ingress.bind(settings, models, stages)


def app_builder(args: dict[str, str]) -> Any:
    """`import_path` for a Serve config file or a KubeRay RayService (`serveConfigV2`).

    Settings come from the `PULSE_*` environment of the node that builds the app (e.g. PULSE_DATABASE_URL
    from a Kubernetes Secret) and reach every replica with the bound application; `args: {config: PATH}`
    picks the YAML. Replicas, resources and autoscaling may be overridden per deployment in the Serve config;
    `serve.access_log` is not read here: set `logging_config: {enable_access_log: ...}` in the Serve config.
    """
    settings = Settings(**({"config": args["config"]} if "config" in args else {}))
    config = load_config(settings.config)
    check_layout(settings, config)
    return build_application(settings, config)


def check_layout(settings: Settings, config: PulseConfig) -> None:
    """Several ingress replicas each run async job workers: they need the shared PostgreSQL store."""
    if config.serve.max_ingress_replicas > 1 and not settings.database_url:
        raise ValueError("serve.ingress with more than one replica needs PULSE_DATABASE_URL (PostgreSQL job store)")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(settings: Settings) -> None:
    """Start (or join) Ray, deploy the application on settings.host:port and block until interrupted.

    SIGTERM stops like Ctrl-C: the application is deleted and a Ray instance started here shuts down.
    """
    config = load_config(settings.config)
    check_layout(settings, config)
    address = config.serve.ray_address or None
    num_cpus = config.serve.num_cpus if address is None else None
    if address is None:
        reserve_for_replicas(config.serve.pinned_cores)
    ray.init(address=address, num_cpus=num_cpus, runtime_env=RUNTIME_ENV, include_dashboard=False)
    signal.signal(signal.SIGTERM, _interrupt)  # after ray.init, which installs its own handler
    try:
        logging_config = {"enable_access_log": config.serve.access_log}
        serve.start(http_options={"host": settings.host, "port": settings.port}, logging_config=logging_config)
        app = build_application(settings, config)
        serve.run(app, name=APP_NAME, route_prefix="/", blocking=True, logging_config=logging_config)
    except KeyboardInterrupt:
        log.info("stopping the Serve application")
    finally:
        serve.shutdown()
        ray.shutdown()
