"""Fill typed dataclass configs from YAML mappings: unknown keys are errors that name their YAML path."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def fill_dataclass(base: T, values: dict[str, Any] | None, where: str) -> T:
    """A copy of dataclass instance `base` with `values` applied, recursing into nested dataclasses.

    Values are coerced to the type of the field's current value where that is unambiguous
    (tuples, paths), so YAML lists fill tuple fields and strings fill Path fields.
    """
    if values is None:
        return base
    if not isinstance(values, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(values).__name__}")
    known = {f.name for f in fields(base)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - known)
    if unknown:
        names = ", ".join(f"{where}.{key}" for key in unknown)
        raise ValueError(f"unknown config key(s) {names}; known under {where}: {', '.join(sorted(known))}")
    changes: dict[str, Any] = {}
    for key, value in values.items():
        current = getattr(base, key)
        if is_dataclass(current) and not isinstance(current, type):
            changes[key] = fill_dataclass(current, value, f"{where}.{key}")
        elif isinstance(current, tuple) and isinstance(value, list):
            changes[key] = tuple(value)
        elif isinstance(current, Path) and isinstance(value, str):
            changes[key] = Path(value)
        else:
            changes[key] = value
    return replace(base, **changes)  # type: ignore[type-var]
