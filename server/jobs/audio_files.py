"""Durable writes of accepted audio: data is fsynced (file and directory) before a job is accepted."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


def _fsync_dir(directory: Path) -> None:
    # A rename is only durable once the directory entry itself reaches the disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def audio_target(audio_dir: Path, request_id: str, suffix: str = "") -> Path:
    """Path for a job's audio; the suffix (e.g. `.flac`) is kept only when it is harmless."""
    if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", request_id):
        raise ValueError(f"unsafe request_id for a file name: {request_id!r}")
    suffix = suffix if _SAFE_SUFFIX.match(suffix or "") else ""
    return audio_dir / f"{request_id}{suffix}"


def write_audio(audio_dir: Path, request_id: str, data: bytes | Iterable[bytes], suffix: str = "") -> Path:
    """Write bytes (or chunks) to `<audio_dir>/<request_id><suffix>` and fsync before returning."""
    audio_dir.mkdir(parents=True, exist_ok=True)
    target = audio_target(audio_dir, request_id, suffix)
    partial = target.with_name(target.name + ".part")
    with open(partial, "wb") as out:
        if isinstance(data, bytes | bytearray | memoryview):
            out.write(data)
        else:
            for chunk in data:
                out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    _fsync_dir(audio_dir)
    return target


def adopt_audio(audio_dir: Path, request_id: str, source: Path, suffix: str = "", *, move: bool = False) -> Path:
    """Copy a file into the audio dir durably; move it instead only when the caller owns it (a spool file)."""
    audio_dir.mkdir(parents=True, exist_ok=True)
    target = audio_target(audio_dir, request_id, suffix)
    partial = target.with_name(target.name + ".part")
    moved = False
    if move:
        try:
            os.replace(source, partial)
            moved = True
        except OSError:
            pass  # different file system: fall back to a copy
    if not moved:
        shutil.copyfile(source, partial)
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    if move and not moved:
        source.unlink(missing_ok=True)
    _fsync_dir(audio_dir)
    return target
