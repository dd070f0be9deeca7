"""Audio by URL (spec §3.1): bounded, SSRF-guarded download into a temp file, redirects followed by hand."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import httpx

from server.jobs.config import MB, FetchConfig
from server.jobs.ssrf import PinnedTarget, UrlGuard, UrlRefused

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
MAX_FILENAME_CHARS = 200
DEFAULT_FILENAME = "audio"


class FetchError(Exception):
    """Download refused or failed; `message` is shown to the caller in a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class FetchedAudio:
    """A downloaded file the caller owns (move it, or call discard())."""

    path: Path
    filename: str
    size: int
    content_type: str | None
    final_url: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _size_text(limit: int) -> str:
    return f"{limit // MB} MB" if limit % MB == 0 else f"{limit} bytes"


def filename_for(url: httpx.URL, content_disposition: str | None) -> str:
    """Content-Disposition filename (RFC 6266 / 2231), else the URL's last path segment."""
    name = ""
    if content_disposition:
        message = Message()
        message["content-disposition"] = content_disposition
        name = message.get_filename() or ""
    if not name:
        name = unquote(PurePosixPath(url.path).name)
    # Only a base name: no directories, no control characters.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:MAX_FILENAME_CHARS] or DEFAULT_FILENAME


async def _open(client: httpx.AsyncClient, target: PinnedTarget, config: FetchConfig) -> httpx.Response:
    headers = {
        **target.headers(),
        "User-Agent": config.user_agent,
        "Accept": "audio/*, application/octet-stream, */*;q=0.5",
        # Sizes are checked on decoded bytes anyway; identity keeps the limit meaningful.
        "Accept-Encoding": "identity",
    }
    request = client.build_request("GET", target.request_url(), headers=headers, extensions=target.extensions())
    return await client.send(request, stream=True)


async def _spool(
    response: httpx.Response, target: PinnedTarget, config: FetchConfig, dest_dir: Path | None
) -> FetchedAudio:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_bytes:
        raise FetchError(f"download exceeds {_size_text(config.max_bytes)} (server announced {int(declared)} bytes)")
    filename = filename_for(target.url, response.headers.get("content-disposition"))
    suffix = PurePosixPath(filename).suffix[:9]
    handle, raw_path = tempfile.mkstemp(prefix="pulse-fetch-", suffix=suffix, dir=dest_dir)
    path = Path(raw_path)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > config.max_bytes:
                    raise FetchError(f"download exceeds {_size_text(config.max_bytes)}")
                out.write(chunk)
        if size == 0:
            raise FetchError("URL returned an empty body; nothing to transcribe")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    content_type = response.headers.get("content-type")
    return FetchedAudio(path, filename, size, content_type, str(target.url))


async def _follow(url: str, config: FetchConfig, guard: UrlGuard, dest_dir: Path | None) -> FetchedAudio:
    timeout = httpx.Timeout(config.total_timeout_s, connect=config.connect_timeout_s)
    # trust_env=False: an environment proxy would resolve names itself and undo the pinning.
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=timeout) as client:
        current = url
        for _hop in range(config.max_redirects + 1):
            target = await guard.check(current)
            response = await _open(client, target, config)
            try:
                if response.status_code in REDIRECT_CODES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"URL answered HTTP {response.status_code} without a Location header")
                    # Resolve relative locations against the URL as the user wrote it, not the pinned IP.
                    current = str(target.url.join(location))
                    continue
                if response.status_code != 200:
                    raise FetchError(f"URL answered HTTP {response.status_code}; expected 200 with the audio file")
                return await _spool(response, target, config, dest_dir)
            finally:
                await response.aclose()
    raise FetchError(f"URL redirected more than {config.max_redirects} times; refused")


async def fetch_audio(
    url: str, config: FetchConfig, *, guard: UrlGuard | None = None, dest_dir: Path | None = None
) -> FetchedAudio:
    """Download `url` with the size, time, redirect and address limits of `config`."""
    guard = guard or UrlGuard(config.allow)
    try:
        async with asyncio.timeout(config.total_timeout_s):
            return await _follow(url, config, guard, dest_dir)
    except UrlRefused as exc:
        raise FetchError(str(exc)) from exc
    except TimeoutError as exc:
        raise FetchError(f"download did not finish within {config.total_timeout_s:g} s") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"download timed out ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"could not download the URL: {type(exc).__name__}: {exc}") from exc
