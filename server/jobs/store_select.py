"""Pick the job store: PostgreSQL when a database URL is configured, else the embedded SQLite file."""

from __future__ import annotations

from server.jobs.config import StoreConfig
from server.jobs.interface import JobStore
from server.jobs.store import SqliteJobStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(config: StoreConfig, database_url: str = "") -> JobStore:
    """`database_url` (env `PULSE_DATABASE_URL`) = `postgresql://...` shares jobs between replicas.

    With PostgreSQL, `config.data_dir` must be a directory every replica mounts (accepted audio lives in
    `<data_dir>/audio`); without a URL everything stays in `<data_dir>` as before.
    """
    if not database_url:
        return SqliteJobStore(
            config.data_dir, synchronous=config.sqlite_synchronous, audio_retention_s=config.audio_retention_s
        )
    if not database_url.startswith(POSTGRES_SCHEMES):
        raise ValueError(f"database_url must start with one of {POSTGRES_SCHEMES} (got {database_url.split(':')[0]}:)")
    # Imported here so the embedded default never needs psycopg.
    from server.jobs.pg_store import PgJobStore

    return PgJobStore(database_url, config.data_dir, audio_retention_s=config.audio_retention_s)
