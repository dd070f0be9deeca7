"""`pulse-server stream FILE --url ws://…`: send a file to a running server's live socket at real time and print
partials and finals as they arrive (partials overwrite one line on a terminal; finals stay)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode, urlsplit

import numpy as np
import websockets

from models.audio import SAMPLE_RATE, AudioDecodeError, iter_pcm_blocks

LIVE_PATH = "/waves/v1/stt/live"
FRAME_SECONDS = 0.1


@dataclass(frozen=True)
class StreamArgs:
    file: Path
    url: str
    api_key: str | None
    model: str
    language: str
    speed: float
    extra: dict[str, str]


def live_url(base: str, args: StreamArgs) -> str:
    """`ws://host:port` gets the live path; the caller's own query parameters win over ours."""
    parts = urlsplit(base)
    if parts.scheme not in ("ws", "wss"):
        raise SystemExit(f"pulse-server: --url must start with ws:// or wss://, got {base!r}")
    path = parts.path if parts.path not in ("", "/") else LIVE_PATH
    query = {"model": args.model, "language": args.language, "encoding": "linear16",
             "sample_rate": str(SAMPLE_RATE), "word_timestamps": "true", **args.extra}
    if parts.query:
        query.update(dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair))
    return f"{parts.scheme}://{parts.netloc}{path}?{urlencode(query)}"


class Printer:
    """Partials rewrite the current line on a terminal (one line each otherwise); finals are kept."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.finals: list[str] = []

    def show(self, message: dict[str, Any]) -> None:
        if message.get("type") != "transcription":
            return
        text = message.get("transcript", "")
        if not message.get("is_final"):
            if self.tty:
                self.out.write(f"\r\033[K… {text}")
            else:
                self.out.write(f"partial: {text}\n")
        elif text:
            words = message.get("words") or []
            span = f"[{words[0]['start']:7.2f} → {words[-1]['end']:7.2f}] " if words else ""
            self.out.write(("\r\033[K" if self.tty else "") + f"final:   {span}{text}\n")
            self.finals.append(text)
        self.out.flush()


async def _send(ws: websockets.ClientConnection, pcm: np.ndarray, speed: float) -> None:
    frame = int(SAMPLE_RATE * FRAME_SECONDS)
    started = time.monotonic()
    data = (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes()
    for index, start in enumerate(range(0, pcm.size, frame)):
        # Paced against the clock, so slow sends do not accumulate drift.
        await asyncio.sleep(max(0.0, started + index * FRAME_SECONDS / speed - time.monotonic()))
        await ws.send(data[start * 2 : (start + frame) * 2])
    await ws.send(json.dumps({"type": "close_stream"}))


async def stream_file(args: StreamArgs, out: TextIO) -> list[str]:
    try:
        with args.file.open("rb") as source:
            pcm = np.concatenate(list(iter_pcm_blocks(source)))
    except (OSError, AudioDecodeError) as exc:
        raise SystemExit(f"pulse-server: {args.file}: {exc}") from None
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    printer = Printer(out)
    target = live_url(args.url, args)
    try:
        async with websockets.connect(target, additional_headers=headers, open_timeout=30) as ws:
            sender = asyncio.create_task(_send(ws, pcm, args.speed))
            try:
                async for raw in ws:
                    message = json.loads(raw)
                    printer.show(message)
                    if message.get("is_last"):
                        break
            finally:
                sender.cancel()
    except websockets.InvalidStatus as exc:
        body = exc.response.body.decode(errors="replace") if exc.response.body else ""
        raise SystemExit(f"pulse-server: the server refused the session ({exc.response.status_code}): {body}") from None
    except OSError as exc:
        raise SystemExit(f"pulse-server: cannot connect to {target}: {exc}") from None
    return printer.finals


def run_stream(args: StreamArgs) -> int:
    finals = asyncio.run(stream_file(args, sys.stdout))
    return 0 if finals else 1
