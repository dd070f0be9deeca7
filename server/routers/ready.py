"""Operator probes: readiness `GET /ready` (no auth) and Prometheus `GET /metrics` (optionally behind a key)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from server.auth import require_api_key
from server.errors import ApiError
from server.readiness import readiness

router = APIRouter()


@router.get("/ready")
@router.get("/waves/v1/ready", include_in_schema=False)
async def ready(request: Request) -> JSONResponse:
    """200 only when every configured model and stage is loaded (liveness stays `/health`)."""
    report = readiness(request.app.state)
    return JSONResponse(report.as_json(), status_code=200 if report.ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state = request.app.state
    config = state.config.metrics
    if not config.enabled:
        raise ApiError(404, f"Not found: GET {request.url.path}")
    if config.require_key:
        await require_api_key(request)
    # Job counts come from the store: render off the event loop.
    body = await asyncio.to_thread(state.metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
