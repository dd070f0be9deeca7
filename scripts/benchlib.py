"""Shared helpers for benchmark/evaluation scripts: data paths, WER, and docs/benchmarks.md sections."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PULSE_SHARED_DATA", REPO.parent / "shared" / "data"))
BENCHMARKS = REPO / "docs" / "benchmarks.md"

HEADER = """# Benchmarks and evaluations

Every section below is written by the script named in it; re-run the script to refresh it.
Figures are measured on the machine named in each section (CI-class: 2 CPU cores, no GPU).
"""


def manifest(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "avx_vnni",
              "amx_tile", "amx_int8")


def cpu_description() -> str:
    """CPU model, its widest vector extension and the SIMD flags CTranslate2's int8 kernels depend on
    (two 2-core boxes, AVX2 vs AVX-512, differed ~3x in speed and slightly in text)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU"
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.M)
    present = set(flags.group(1).split()) if flags else set()
    widest = "AVX-512" if "avx512f" in present else "AVX2, no AVX-512" if "avx2" in present else "no AVX2"
    simd = " ".join(f for f in SIMD_FLAGS if f in present) or "none"
    return f"{model.group(1).strip() if model else 'unknown CPU'} ({widest}; SIMD: {simd})"


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between `<!-- BEGIN name -->` and `<!-- END name -->`."""
    BENCHMARKS.parent.mkdir(parents=True, exist_ok=True)
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    block = f"<!-- BEGIN {name} -->\n{body.strip()}\n<!-- END {name} -->"
    pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
