"""`pulse-server serve --host H --port P --config FILE`: validate settings, then run uvicorn."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import uvicorn

from server.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulse-server", description="Self-hosted Pulse speech-to-text server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the HTTP/WebSocket server")
    serve.add_argument("--host", help="bind address (default 127.0.0.1, env PULSE_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8000, env PULSE_PORT)")
    serve.add_argument("--config", type=Path, help="YAML config (default configs/default.yaml, env PULSE_CONFIG)")
    serve.add_argument(
        "--insecure-no-auth", action="store_true", help="allow serving without API keys on a public address"
    )
    serve.add_argument("--backend", choices=["local", "ray"], default="local", help="ray: Ray Serve (configs/ray.yaml)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    overrides = {
        k: v for k, v in {"host": args.host, "port": args.port, "config": args.config}.items() if v is not None
    }
    if args.insecure_no_auth:
        overrides["insecure_no_auth"] = True
    settings = Settings(**overrides)
    settings.check_bind_safety()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may reach a model hub at run time

    if args.backend == "ray":
        from server.backends.ray_serve import run

        try:
            run(settings)
        except ValueError as exc:
            sys.exit(f"pulse-server: {exc}")
        return
    from server.app import create_app

    try:
        app = create_app(settings)
    except ValueError as exc:
        sys.exit(f"pulse-server: {exc}")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)


if __name__ == "__main__":
    main()
