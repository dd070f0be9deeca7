"""The job-store tests run against both implementations: the embedded SQLite file and a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.jobs.interface import JobStore
from server.jobs.store import SqliteJobStore
from tests.support.pg_server import PostgresUnavailable, shared_postgres

BACKENDS = ["sqlite", "postgres"]


class StoreOpener:
    """(data_dir, **store options) -> a store; calling it again reopens the same database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opened: list[JobStore] = []

    def __call__(self, data_dir: Path, **options: Any) -> JobStore:
        if self.url:
            from server.jobs.pg_store import PgJobStore

            options.pop("synchronous", None)  # an SQLite setting
            store: JobStore = PgJobStore(self.url, data_dir, **options)
        else:
            store = SqliteJobStore(data_dir, **options)
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


def database_url(backend: str) -> str:
    """'' for SQLite; a fresh PostgreSQL database otherwise (skips with the reason when there is none)."""
    if backend == "sqlite":
        return ""
    try:
        return shared_postgres().fresh_database()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL backend not available: {exc}")


def store_opener(backend: str) -> StoreOpener:
    return StoreOpener(database_url(backend))


def opener_for_url(url: str) -> StoreOpener:
    return StoreOpener(url)
