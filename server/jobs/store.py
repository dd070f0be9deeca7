"""Durable job store: the embedded SQLite (WAL) implementation of `JobStore` (queries in `sql_store`).

All methods are blocking; async callers wrap them in `asyncio.to_thread`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server.jobs import requestlog
from server.jobs.interface import JobStore
from server.jobs.sql_store import JOB_SCHEMA, SqlJobStore

__all__ = ["DB_NAME", "JobStore", "SqliteJobStore"]

DB_NAME = "jobs.sqlite3"
BUSY_TIMEOUT_MS = 10_000


class SqliteJobStore(SqlJobStore):
    """One SQLite file in WAL mode; one connection guarded by a lock (safe from worker threads).

    Dialect: rows are ordered by rowid, `BEGIN IMMEDIATE` stands in for row locks, and start-up requeues
    every running job (the file belongs to this process).
    """

    def __init__(self, data_dir: Path, *, synchronous: str = "FULL", audio_retention_s: float = 0.0) -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"sqlite_synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        super().__init__(data_dir, audio_retention_s)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.data_dir / DB_NAME, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._conn.executescript(JOB_SCHEMA.format(seq="", order_index="") + requestlog.SCHEMA)
        self._add_interruptions_column()

    def _add_interruptions_column(self) -> None:
        # Files written before runs cut short by a restart were counted apart from failed runs.
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(jobs)")}
        if "interruptions" not in columns:
            self._conn.execute("ALTER TABLE jobs ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so claim's read-then-update cannot race
        # with another process using the same file.
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()
