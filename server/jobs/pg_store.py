"""The PostgreSQL implementation of `JobStore`: one database shared by any number of server processes.

The queries are `sql_store`'s; this module connects (a psycopg 3 pool) and names the dialect: claims take
rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers on different hosts never claim the same
job or delivery, and start-up only requeues runs whose lease ran out (other replicas may be alive).
Audio stays on a file system every replica mounts (`<data_dir>/audio`); rows keep the file name relative
to that directory, so replicas may mount it at different paths.
All methods are blocking; async callers wrap them in `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg_pool import ConnectionPool

from server.jobs import requestlog
from server.jobs.pg_rows import SqliteStyle, row_factory
from server.jobs.sql_store import JOB_SCHEMA, SqlJobStore

# Serialises schema creation when several replicas start at once (an arbitrary constant key).
SCHEMA_LOCK_KEY = 0x70756C7365
POOL_MAX = 8


class PgJobStore(SqlJobStore):
    """Jobs, webhook deliveries and the request log in PostgreSQL; audio in a shared directory."""

    ORDER_KEY = "seq"
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"
    FOR_UPDATE = " FOR UPDATE"
    BUCKET_SQL = "FLOOR(created_at / ?)::bigint"
    EXPIRED_LEASES_ONLY = True

    def __init__(self, url: str, data_dir: Path, *, audio_retention_s: float = 0.0, pool_size: int = POOL_MAX) -> None:
        super().__init__(data_dir, audio_retention_s)
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"row_factory": row_factory}, open=True, name="pulse-jobs"
        )
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK_KEY,))
            conn.conn.execute(JOB_SCHEMA.format(seq="seq BIGSERIAL, ", order_index=", seq") + requestlog.SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[SqliteStyle]:
        with self._pool.connection() as conn, conn.transaction():
            yield SqliteStyle(conn)

    @contextmanager
    def _read(self) -> Iterator[SqliteStyle]:
        with self._pool.connection() as conn:
            yield SqliteStyle(conn)

    def close(self) -> None:
        self._pool.close()
