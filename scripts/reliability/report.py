"""docs/reliability.md: one section per suite part, replaced in place on each run."""

from __future__ import annotations

import re
from typing import Any

from scripts.benchlib import REPO, cpu_description, machine

DOC = REPO / "docs" / "reliability.md"
HEADER = """# Reliability under abuse

Written by `python -m scripts.reliability` (see README, "Reliability suite"): every figure below comes from a
real server on 127.0.0.1 driven by real clients. Each section names the machine it ran on.
"""


def table(rows: list[tuple[str, Any]]) -> str:
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {str(value).replace('|', '/')} |" for name, value in rows]
    return "\n".join(lines)


def write_part(name: str, title: str, rows: list[tuple[str, Any]], notes: str = "", ok: bool | None = None) -> None:
    """Replace (or append) the `name` section of docs/reliability.md."""
    verdict = "" if ok is None else (" — pass" if ok else " — FAIL")
    body = f"## {title}{verdict}\n\n_{cpu_description()}, {machine()}_\n\n{table(rows)}\n" + (f"\n{notes.strip()}\n" if notes.strip() else "")
    text = DOC.read_text() if DOC.exists() else HEADER
    block = f"<!-- BEGIN {name} -->\n{body.strip()}\n<!-- END {name} -->"
    pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def bullet(items: list[str], limit: int = 15) -> str:
    shown = [f"- `{item[:240]}`" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"- … and {len(items) - limit} more")
    return "\n".join(shown)
