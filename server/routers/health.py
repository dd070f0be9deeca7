"""Liveness: `GET /health` and `GET /waves/v1/health` (no auth), answered on the event loop only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/health")
@router.get("/waves/v1/health")
async def health(request: Request) -> dict[str, Any]:
    registry = request.app.state.registry
    models = {
        name: {"status": "ok", "busy": registry.get(name).pool.admitted, "capacity": registry.get(name).pool.capacity}
        for name in registry.names()
    }
    live = getattr(request.app.state, "live", None)
    # The hosted service reports its backing stores; a self-hosted box reports its models and sessions.
    return {"status": "ok", "models": models, "live_sessions": live.active_sessions if live is not None else 0}
