"""`pulse-server serve` (validate settings, run uvicorn), `transcribe FILE…` (in-process, with a progress bar)
and `stream FILE --url ws://…` (send a file to a running server at real time)."""

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
    _add_transcribe(sub)
    _add_stream(sub)
    return parser


def _add_transcribe(sub: argparse._SubParsersAction) -> None:
    transcribe = sub.add_parser("transcribe", help="transcribe files in-process (no server), one output per file")
    transcribe.add_argument("files", nargs="+", type=Path, metavar="FILE")
    transcribe.add_argument("--model", default="pulse", help="model from the config (default pulse)")
    transcribe.add_argument("--language", help="language code or multi* (default: detect)")
    transcribe.add_argument("--format", default="json", choices=("json", "text", "srt", "vtt"))
    transcribe.add_argument("--diarize", action="store_true", help="label speakers")
    transcribe.add_argument("--redact-pii", action="store_true", help="redact personal information")
    transcribe.add_argument("--output", type=Path, metavar="DIR", help="write DIR/<name>.<format> (default stdout)")
    transcribe.add_argument("--config", type=Path, help="YAML config (default configs/default.yaml, env PULSE_CONFIG)")


def _add_stream(sub: argparse._SubParsersAction) -> None:
    stream = sub.add_parser("stream", help="send a file to a running server's live socket at real time")
    stream.add_argument("file", type=Path, metavar="FILE")
    stream.add_argument("--url", required=True, help="ws://host:port (the live path is added when missing)")
    stream.add_argument("--api-key", help="Bearer key (default env PULSE_API_KEY)")
    stream.add_argument("--model", default="pulse")
    stream.add_argument("--language", default="en")
    stream.add_argument("--speed", type=float, default=1.0, help="1.0 = real time")
    stream.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="extra live query parameter, e.g. diarize=true (repeatable)")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "transcribe":
        _transcribe(args)
    elif args.command == "stream":
        _stream(args)
    else:
        _serve(args)


def _transcribe(args: argparse.Namespace) -> None:
    from server.cli_transcribe import TranscribeArgs, run_transcribe

    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    config = args.config or Settings().config
    sys.exit(run_transcribe(TranscribeArgs(args.files, config, args.model, args.language, args.format,
                                           args.diarize, args.redact_pii, args.output)))


def _stream(args: argparse.Namespace) -> None:
    from server.cli_stream import StreamArgs, run_stream

    if args.speed <= 0:
        sys.exit("pulse-server: --speed must be positive")
    extra = dict(p.split("=", 1) for p in args.param if "=" in p)
    key = args.api_key or os.environ.get("PULSE_API_KEY")
    sys.exit(run_stream(StreamArgs(args.file, args.url, key, args.model, args.language, args.speed, extra)))


def _serve(args: argparse.Namespace) -> None:
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
    from server.httpprotocol import with_header_timeout
    from server.wsprotocol import PulseWebSocketProtocol

    try:
        app = create_app(settings)
    except ValueError as exc:
        sys.exit(f"pulse-server: {exc}")
    # A bounded graceful shutdown: SIGTERM does not wait forever on a request still decoding.
    # Slowloris headers are cut off after limits.header_timeout_seconds (uvicorn has no such timeout).
    http = with_header_timeout(app.state.config.limits.header_timeout_seconds)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, ws=PulseWebSocketProtocol,
                http=http, timeout_graceful_shutdown=30)


if __name__ == "__main__":
    main()
