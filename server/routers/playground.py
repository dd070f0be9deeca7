"""The browser playground at `/playground`: static HTML + JS served from server/static/playground (no build step).

`playground.enabled` in the YAML: true / false, or unset = served only when the server is bound to a
loopback address (a public box shows no page unless the operator asks for it).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from server.errors import ApiError

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "playground"
FILES = {"": "index.html", "index.html": "index.html", "playground.js": "playground.js", "playground.css": "playground.css"}
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}

router = APIRouter(include_in_schema=False)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def playground_enabled(request: Request) -> bool:
    configured = request.app.state.config.playground.enabled
    if configured is not None:
        return configured
    return _loopback(request.app.state.settings.host)


@router.get("/playground")
async def playground_root() -> Response:
    return RedirectResponse("/playground/", status_code=307)


@router.get("/playground/{name:path}")
async def playground_file(request: Request, name: str) -> Response:
    filename = FILES.get(name)
    if not playground_enabled(request) or filename is None:
        raise ApiError(404, f"Not found: GET {request.url.path}")
    path = STATIC_DIR / filename
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])
