"""App factory: settings + config in, a FastAPI app with models loaded once in its lifespan."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.config import load_config
from models.registry import ModelLoadError, ModelRegistry
from models.stages import Stages
from server.errors import install_error_handlers
from server.jobs import JobsConfig, JobsService
from server.prerecorded import make_job_processor
from server.routers import analytics, health, jobs, live, stt
from server.routers.live import live_runtime
from server.settings import Settings

log = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Give every HTTP request a UUID (`request.state.request_id`) and echo it as `x-request-id`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    config = load_config(settings.config)
    jobs_config = JobsConfig.from_mapping(config.jobs)
    jobs_config.store.data_dir = settings.data_dir
    jobs_config.fetch.max_bytes = config.limits.max_upload_bytes
    if settings.webhook_secret:
        jobs_config.webhook.secret = settings.webhook_secret

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            registry = ModelRegistry.load(config, settings.cache_dir)
        except ModelLoadError as exc:
            log.error("start-up failed: %s", exc)
            raise
        app.state.registry = registry
        live_runtime(app).preload()  # the live lane's model instance, loaded before the first session
        try:
            app.state.stages = Stages.load(config.stages)
        except Exception as exc:
            log.error("start-up failed: a configured stage could not load: %s", exc)
            raise
        app.state.enabled_features = app.state.stages.features
        service = JobsService(jobs_config, make_job_processor(app.state))
        app.state.jobs = service
        await service.start()
        try:
            yield
        finally:
            live = getattr(app.state, "live", None)
            if live is not None:
                live.shutdown()
            await service.stop()
            service.close()
            registry.shutdown()

    app = FastAPI(title="pulse-server", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.config = config
    app.state.api_keys = settings.parsed_keys()
    app.state.enabled_features = frozenset()
    app.state.stages = Stages()
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(stt.router)
    app.include_router(live.router)
    app.include_router(jobs.router)
    app.include_router(analytics.router)
    return app
