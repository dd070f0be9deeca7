"""Query-parameter parsing shared by the HTTP and WebSocket routes (§3.2, §4.2 boolean rules)."""

from __future__ import annotations

from collections.abc import Mapping

from server.errors import ApiError


def parse_bool(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    """`true` in any case is true, `false` in any case is false; anything else counts as false (§4.2)."""
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() == "true"


def parse_int(params: Mapping[str, str], name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, f"Invalid value for query param: {name}. Expected an integer, got '{raw}'.") from None
    if not lo <= value <= hi:
        raise ApiError(400, f"Invalid value for query param: {name}. Must be between {lo} and {hi}, got {value}.")
    return value


def parse_choice(params: Mapping[str, str], name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if value not in choices:
        raise ApiError(400, f"Invalid value for query param: {name}. Supported values: {' | '.join(choices)}.")
    return value
