"""The job queue, leases, webhook deliveries and request log as SQL, written once for both job databases.

`SqlJobStore` holds every query (sqlite3-style `?` parameters) and the claim/delivery logic; a subclass
supplies the connection (`_tx`, `_read`) and the few dialect differences as class attributes:
the row order key, the row-locking suffixes (`FOR UPDATE SKIP LOCKED` on PostgreSQL), the request-log
bucket expression and whether start-up may requeue every running job (one SQLite file) or only those
whose lease ran out (a database other replicas share). Audio paths are kept relative to `audio_dir`
when they are inside it, so the directory may be mounted at a different path on each replica.
All methods are blocking; async callers wrap them in `asyncio.to_thread`.
"""

from __future__ import annotations

import json
import time
from abc import abstractmethod
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from server.jobs import requestlog
from server.jobs.audio_files import adopt_audio, write_audio
from server.jobs.interface import AudioSource, JobStore
from server.jobs.records import JobRecord, JobStatus, LogEntry, LogPage, NewJob, Timeseries
from server.jobs.requestlog import Connection

# A bounded scan in claim(): poisoned jobs met on the way are failed, then the next one is tried.
CLAIM_SCAN_LIMIT = 32
COPY_CHUNK_BYTES = 1024 * 1024

# `{seq}` is a dialect's insertion-order column (SQLite has rowid), `{order_index}` its index suffix.
# Column types are spelt so both databases read them the same (DOUBLE PRECISION has REAL affinity in SQLite).
JOB_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    {seq}request_id TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    model TEXT NOT NULL,
    options TEXT NOT NULL,
    audio_path TEXT,
    owner TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    interruptions INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    webhook_url TEXT,
    webhook_method TEXT NOT NULL DEFAULT 'POST',
    webhook_extra TEXT NOT NULL DEFAULT '{{}}',
    delivery_attempts INTEGER NOT NULL DEFAULT 0,
    delivery_error TEXT,
    next_delivery_at DOUBLE PRECISION,
    delivered_at DOUBLE PRECISION,
    delivery_owner TEXT,
    delivery_lease_until DOUBLE PRECISION,
    lease_owner TEXT,
    lease_until DOUBLE PRECISION,
    audio_delete_at DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs(status, created_at{order_index});
CREATE INDEX IF NOT EXISTS jobs_delivery_due ON jobs(next_delivery_at) WHERE next_delivery_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_audio_due ON jobs(audio_delete_at) WHERE audio_delete_at IS NOT NULL;
"""

_JOB_COLUMNS = (
    "request_id, created_at, updated_at, model, options, audio_path, owner, status, attempts, interruptions, "
    "result, error, webhook_url, webhook_method, webhook_extra, delivery_attempts, delivery_error, next_delivery_at, "
    "delivered_at, lease_owner, lease_until"
)
_ONE_LESS_ATTEMPT = "CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"


class SqlJobStore(JobStore):
    """Queue, leases, deliveries and request log; subclasses connect and name their dialect's differences."""

    # Insertion order among jobs created in the same instant.
    ORDER_KEY = "rowid"
    # Appended to the claim queries: rows another worker is claiming right now are skipped, not waited for.
    SKIP_LOCKED = ""
    # Appended to a read-then-update of one row.
    FOR_UPDATE = ""
    BUCKET_SQL = requestlog.SQLITE_BUCKET
    # requeue_running() at start-up: True when other live processes may hold leases in the same database.
    EXPIRED_LEASES_ONLY = False

    def __init__(self, data_dir: Path, audio_retention_s: float) -> None:
        self.data_dir = Path(data_dir)
        self.audio_dir = self.data_dir / "audio"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self.audio_retention_s = audio_retention_s

    @abstractmethod
    def _tx(self) -> AbstractContextManager[Connection]:
        """One write transaction that also locks what claim() reads (`?`/`:name` parameters)."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Connection]:
        """A connection for reads outside a transaction."""

    def _row(self, conn: Connection, request_id: str) -> JobRecord | None:
        row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE request_id = ?", (request_id,)).fetchone()
        return self._record(row) if row else None

    def _stored_path(self, path: Path) -> str:
        return path.name if path.parent.resolve() == self.audio_dir.resolve() else str(path)

    def _record(self, row: Any) -> JobRecord:
        return JobRecord(
            request_id=row["request_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            model=row["model"],
            options=json.loads(row["options"]),
            # An absolute path (rows of older SQLite files) stays as it is.
            audio_path=self.audio_dir / row["audio_path"] if row["audio_path"] else None,
            owner=row["owner"],
            status=JobStatus(row["status"]),
            attempts=row["attempts"],
            interruptions=row["interruptions"],
            result=json.loads(row["result"]) if row["result"] else None,
            error=row["error"],
            webhook_url=row["webhook_url"],
            webhook_method=row["webhook_method"],
            webhook_extra=json.loads(row["webhook_extra"]),
            delivery_attempts=row["delivery_attempts"],
            delivery_error=row["delivery_error"],
            next_delivery_at=row["next_delivery_at"],
            delivered_at=row["delivered_at"],
            lease_owner=row["lease_owner"],
            lease_until=row["lease_until"],
        )

    # -- jobs ---------------------------------------------------------------------------------

    def save_audio(self, request_id: str, data: AudioSource, suffix: str = "", *, move: bool = False) -> Path:
        if isinstance(data, Path):
            return adopt_audio(self.audio_dir, request_id, data, suffix, move=move)
        if isinstance(data, bytes | bytearray | memoryview):
            return write_audio(self.audio_dir, request_id, bytes(data), suffix)
        # A file object such as the upload spool: copied in chunks from its current position.
        return write_audio(self.audio_dir, request_id, iter(lambda: data.read(COPY_CHUNK_BYTES), b""), suffix)

    def enqueue(self, job: NewJob) -> JobRecord:
        now = time.time()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO jobs (request_id, created_at, updated_at, model, options, audio_path, owner, status, "
                "webhook_url, webhook_method, webhook_extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.request_id,
                    now,
                    now,
                    job.model,
                    json.dumps(job.options),
                    self._stored_path(Path(job.audio_path)),
                    job.owner,
                    JobStatus.QUEUED.value,
                    job.webhook_url,
                    job.webhook_method.upper(),
                    json.dumps(job.webhook_extra),
                ),
            )
            record = self._row(conn, job.request_id)
        assert record is not None
        return record

    def claim(
        self, worker_id: str, lease_seconds: float, max_attempts: int | None = None, max_interruptions: int | None = None
    ) -> JobRecord | None:
        now = time.time()
        with self._tx() as conn:
            for _ in range(CLAIM_SCAN_LIMIT):
                row = conn.execute(
                    "SELECT request_id, status, attempts, interruptions FROM jobs WHERE status = 'queued' "
                    f"OR (status = 'running' AND lease_until < ?) ORDER BY created_at, {self.ORDER_KEY} LIMIT 1"
                    + self.SKIP_LOCKED,
                    (now,),
                ).fetchone()
                if row is None:
                    return None
                # A lease that ran out means its run was cut short (crash, stall), not that it failed:
                # the run is counted as an interruption and its attempt is given back.
                expired = 1 if row["status"] == "running" else 0
                interruptions = row["interruptions"] + expired
                if max_interruptions is not None and interruptions >= max_interruptions:
                    # Each of these runs died without reporting: the job may be what kills the process.
                    message = f"processing was interrupted {interruptions} times (the server stopped mid-job)"
                    self._finish_failed(conn, row["request_id"], message, now)
                    continue
                if max_attempts is not None and row["attempts"] - expired >= max_attempts:
                    self._finish_failed(conn, row["request_id"], f"processing failed {row['attempts']} times", now)
                    continue
                conn.execute(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1 - ?, interruptions = ?, "
                    "lease_owner = ?, lease_until = ?, updated_at = ? WHERE request_id = ?",
                    (expired, interruptions, worker_id, now + lease_seconds, now, row["request_id"]),
                )
                return self._row(conn, row["request_id"])
        return None

    def renew_lease(self, request_id: str, worker_id: str, lease_seconds: float) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE jobs SET lease_until = ? WHERE request_id = ? AND status = 'running' AND lease_owner = ?",
                (time.time() + lease_seconds, request_id, worker_id),
            )
            return cur.rowcount == 1

    def release(self, request_id: str, worker_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                f"UPDATE jobs SET status = 'queued', attempts = {_ONE_LESS_ATTEMPT}, lease_owner = NULL, "
                "lease_until = NULL, updated_at = ? WHERE request_id = ? AND status = 'running' AND lease_owner = ?",
                (time.time(), request_id, worker_id),
            )

    def _after_final(self, conn: Connection, request_id: str, now: float) -> None:
        # With a webhook the job waits for delivery; without one the audio can go now.
        conn.execute(
            "UPDATE jobs SET next_delivery_at = CASE WHEN webhook_url IS NOT NULL THEN CAST(? AS DOUBLE PRECISION) END, "
            "audio_delete_at = CASE WHEN webhook_url IS NULL THEN CAST(? AS DOUBLE PRECISION) END WHERE request_id = ?",
            (now, now + self.audio_retention_s, request_id),
        )

    def _finish_failed(self, conn: Connection, request_id: str, error: str, now: float) -> None:
        body = {"status": "failed", "request_id": request_id, "error": error}
        conn.execute(
            "UPDATE jobs SET status = 'failed', error = ?, result = ?, lease_owner = NULL, lease_until = NULL, "
            "updated_at = ? WHERE request_id = ?",
            (error, json.dumps(body), now, request_id),
        )
        self._after_final(conn, request_id, now)

    def complete(self, request_id: str, worker_id: str, result: dict[str, Any]) -> bool:
        now = time.time()
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = 'done', result = ?, error = NULL, lease_owner = NULL, lease_until = NULL, "
                "updated_at = ? WHERE request_id = ? AND status = 'running' AND lease_owner = ?",
                (json.dumps(result), now, request_id, worker_id),
            )
            if cur.rowcount != 1:
                return False
            self._after_final(conn, request_id, now)
            return True

    def fail(self, request_id: str, worker_id: str, error: str, *, retryable: bool, max_attempts: int) -> JobStatus:
        now = time.time()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT attempts FROM jobs WHERE request_id = ? AND status = 'running' AND lease_owner = ?"
                + self.FOR_UPDATE,
                (request_id, worker_id),
            ).fetchone()
            if row is None:
                record = self._row(conn, request_id)
                return record.status if record else JobStatus.FAILED
            if retryable and row["attempts"] < max_attempts:
                conn.execute(
                    "UPDATE jobs SET status = 'queued', error = ?, lease_owner = NULL, lease_until = NULL, "
                    "updated_at = ? WHERE request_id = ?",
                    (error, now, request_id),
                )
                return JobStatus.QUEUED
            self._finish_failed(conn, request_id, error, now)
            return JobStatus.FAILED

    def claim_delivery(self, worker_id: str, lease_seconds: float) -> JobRecord | None:
        now = time.time()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT request_id FROM jobs WHERE next_delivery_at IS NOT NULL AND next_delivery_at <= ? "
                "AND delivered_at IS NULL AND status IN ('done', 'failed') "
                "AND (delivery_lease_until IS NULL OR delivery_lease_until < ?) ORDER BY next_delivery_at LIMIT 1"
                + self.SKIP_LOCKED,
                (now, now),
            ).fetchone()
            if row is None:
                return None
            # The attempt is counted before anything is sent, so a kill mid-send still shows it.
            conn.execute(
                "UPDATE jobs SET delivery_owner = ?, delivery_lease_until = ?, delivery_attempts = delivery_attempts + 1, "
                "updated_at = ? WHERE request_id = ?",
                (worker_id, now + lease_seconds, now, row["request_id"]),
            )
            return self._row(conn, row["request_id"])

    def record_delivery_attempt(self, request_id: str, error: str, next_attempt_at: float | None) -> None:
        now = time.time()
        with self._tx() as conn:
            conn.execute(
                "UPDATE jobs SET delivery_error = ?, next_delivery_at = ?, "
                "delivery_owner = NULL, delivery_lease_until = NULL, updated_at = ? "
                "WHERE request_id = ? AND delivered_at IS NULL",
                (error, next_attempt_at, now, request_id),
            )
            if next_attempt_at is None:
                conn.execute(
                    "UPDATE jobs SET status = 'delivery_failed', audio_delete_at = ? WHERE request_id = ?",
                    (now + self.audio_retention_s, request_id),
                )

    def mark_delivered(self, request_id: str) -> bool:
        now = time.time()
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = 'delivered', delivered_at = ?, "
                "delivery_error = NULL, next_delivery_at = NULL, delivery_owner = NULL, delivery_lease_until = NULL, "
                "audio_delete_at = ?, updated_at = ? WHERE request_id = ? AND delivered_at IS NULL",
                (now, now + self.audio_retention_s, now, request_id),
            )
            return cur.rowcount == 1

    def get(self, request_id: str) -> JobRecord | None:
        with self._read() as conn:
            return self._row(conn, request_id)

    def requeue_running(self) -> int:
        """Start-up after a crash: those runs were cut short, they did not fail (see claim()).

        With EXPIRED_LEASES_ONLY (a database other live replicas share) only runs whose lease ran out go back.
        """
        now = time.time()
        expired_only = " AND lease_until < ?" if self.EXPIRED_LEASES_ONLY else ""
        bound = (now,) if self.EXPIRED_LEASES_ONLY else ()
        with self._tx() as conn:
            cur = conn.execute(
                f"UPDATE jobs SET status = 'queued', attempts = {_ONE_LESS_ATTEMPT}, interruptions = interruptions + 1, "
                "lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE status = 'running'" + expired_only,
                (now, *bound),
            )
            conn.execute(
                "UPDATE jobs SET delivery_owner = NULL, delivery_lease_until = NULL"
                + (" WHERE delivery_lease_until < ?" if self.EXPIRED_LEASES_ONLY else ""),
                bound,
            )
            return cur.rowcount

    def audio_due(self, now: float | None = None) -> list[tuple[str, Path]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT request_id, audio_path FROM jobs WHERE audio_delete_at IS NOT NULL AND audio_delete_at <= ?",
                (time.time() if now is None else now,),
            ).fetchall()
        return [(r["request_id"], self.audio_dir / r["audio_path"]) for r in rows if r["audio_path"]]

    def mark_audio_deleted(self, request_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE jobs SET audio_path = NULL, audio_delete_at = NULL WHERE request_id = ?", (request_id,)
            )

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    # -- request log ----------------------------------------------------------------------------

    def log_request(self, entry: LogEntry, *, keep_transcript: bool) -> None:
        with self._tx() as conn:
            requestlog.insert(conn, entry, keep_transcript=keep_transcript)

    def list_logs(self, owner: str, page: int, page_size: int) -> LogPage:
        with self._read() as conn:
            return requestlog.page(conn, owner, page, page_size)

    def delete_log(self, owner: str, request_id: str) -> None:
        with self._tx() as conn:
            requestlog.soft_delete(conn, owner, request_id)

    def usage_timeseries(self, owner: str, start: datetime, end: datetime, granularity: str) -> Timeseries:
        with self._read() as conn:
            return requestlog.timeseries(conn, owner, start, end, granularity, self.BUCKET_SQL)
