"""psycopg helpers for the PostgreSQL job store: sqlite3-like rows, and sqlite3-style parameters for shared SQL."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg

_QMARK = re.compile(r"\?")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class _Row(tuple):
    """A result row readable by position and by column name, like `sqlite3.Row`."""

    names: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)


def row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    names = {col.name: i for i, col in enumerate(cursor.description or [])}
    row_type = type("Row", (_Row,), {"names": names})
    return lambda values: row_type(values)


class SqliteStyle:
    """Runs the shared request-log SQL (`?` and `:name` parameters) on a psycopg connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = (), /) -> psycopg.Cursor[Any]:
        if isinstance(params, Mapping):
            return self.conn.execute(_NAMED.sub(r"%(\1)s", sql), params)  # type: ignore[arg-type]
        return self.conn.execute(_QMARK.sub("%s", sql), params)  # type: ignore[arg-type]
