"""The job-store tests run against both implementations: the embedded SQLite file and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.jobs.interface import JobStore
from server.jobs.store import SqliteJobStore
from tests.pg_server import PostgresUnavailable, shared_postgres

BACKENDS = ["sqlite", "postgres"]
# (data_dir, **store options) -> a store; calling it again reopens the same database.
StoreOpener = Callable[..., JobStore]


def database_url(backend: str) -> str:
    """'' for SQLite; a fresh PostgreSQL database otherwise (skips with the reason when there is none)."""
    if backend == "sqlite":
        return ""
    try:
        return shared_postgres().fresh_database()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL backend not available: {exc}")


def store_opener(backend: str) -> StoreOpener:
    return opener_for_url(database_url(backend))


def opener_for_url(url: str) -> StoreOpener:
    if not url:
        return SqliteJobStore

    from server.jobs.pg_store import PgJobStore

    def open_pg(data_dir: Path, **options: Any) -> JobStore:
        options.pop("synchronous", None)  # an SQLite setting
        return PgJobStore(url, data_dir, **options)

    return open_pg
