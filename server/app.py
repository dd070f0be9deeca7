"""App factory: settings + config in, a FastAPI app with models loaded once in its lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from models.registry import ModelLoadError, ModelRegistry
from models.stages import Stages
from models.streaming.runtime import LiveRuntime
from server.access_log import install_token_redaction
from server.config import fill_process_defaults, load_config
from server.errors import install_error_handlers
from server.jobs import JobsService
from server.jobs.store_select import open_store
from server.metrics import install_metrics
from server.middleware import RequestIdMiddleware
from server.prerecorded import make_job_processor
from server.routers import analytics, health, jobs, live, openai, playground, ready, stt
from server.schemas import install_openapi
from server.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    install_token_redaction()  # a ?token= API key never reaches the access log
    config = fill_process_defaults(load_config(settings.config), settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            registry = ModelRegistry.load(config, settings.cache_dir)
        except ModelLoadError as exc:
            log.error("start-up failed: %s", exc)
            raise
        app.state.registry = registry
        try:
            app.state.stages = Stages.load(config.stages)
        except Exception as exc:
            log.error("start-up failed: a configured stage could not load: %s", exc)
            raise
        app.state.enabled_features = app.state.stages.features
        app.state.live = LiveRuntime(registry, config.live)
        app.state.live.preload()  # the live lane's model instance, loaded before the first session
        store = open_store(config.jobs.store, settings.database_url)
        service = JobsService(config.jobs, make_job_processor(app.state), store=store)
        app.state.jobs = service
        await service.start()
        try:
            yield
        finally:
            app.state.live.shutdown()
            await service.stop()
            service.close()
            registry.shutdown()

    app = FastAPI(title="pulse-server", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.config = config
    app.state.api_keys = settings.parsed_keys()
    app.state.enabled_features = frozenset()
    app.state.stages = Stages()
    app.state.live_models = {name: model.live for name, model in config.models.items()}
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware, max_url_bytes=config.limits.max_url_bytes)
    app.include_router(health.router)
    app.include_router(stt.router)
    app.include_router(live.router)
    app.include_router(jobs.router)
    app.include_router(analytics.router)
    install_metrics(app)
    app.include_router(ready.router)
    app.include_router(openai.router)
    app.include_router(playground.router)
    install_openapi(app)
    return app
