"""Request log (spec §1.2 E6–E8) kept in the job database: insert, page, soft delete, count series."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Protocol

from server.jobs.records import LogEntry, LogPage, Timeseries

GRANULARITY_S = {"hour": 3600, "day": 86400}
# Bounds the zero-filled series a caller can ask for (e.g. ~13 months of hours).
MAX_BUCKETS = 10_000
MAX_PAGE_SIZE = 100
# Beyond this the row offset no longer fits SQLite's 64-bit integer (a fuzzed page=10^22 was a 500).
MAX_PAGE = 10**9

# Both job databases run this text (DOUBLE PRECISION and BIGINT have REAL and INTEGER affinity in SQLite).
SCHEMA = """
CREATE TABLE IF NOT EXISTS request_log (
    request_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL DEFAULT '',
    created_at DOUBLE PRECISION NOT NULL,
    request_type TEXT NOT NULL,
    model TEXT NOT NULL,
    language TEXT NOT NULL,
    duration DOUBLE PRECISION NOT NULL,
    file_size BIGINT NOT NULL,
    transcription TEXT NOT NULL,
    word_timestamps INTEGER NOT NULL,
    diarize INTEGER NOT NULL,
    redact_pii INTEGER NOT NULL,
    redact_pci INTEGER NOT NULL,
    numerals TEXT NOT NULL,
    keywords TEXT NOT NULL,
    emotion_detection INTEGER NOT NULL,
    gender_detection INTEGER NOT NULL,
    emotions TEXT NOT NULL,
    gender TEXT NOT NULL,
    webhook_url TEXT NOT NULL,
    deleted_at DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS request_log_owner_time ON request_log(owner, created_at);
"""

_COLUMNS = [name for name in LogEntry.__dataclass_fields__]
_BOOLS = {"word_timestamps", "diarize", "redact_pii", "redact_pci", "emotion_detection", "gender_detection"}


# SQLite's integer division truncates; the PostgreSQL store passes its own bucket expression.
SQLITE_BUCKET = "CAST(created_at / ? AS INTEGER)"


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What these functions need: sqlite3's `?`/`:name` parameters, rows indexable by name and position."""

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ..., /) -> Cursor: ...


class LogQueryError(ValueError):
    """A bad page / range / granularity; the router turns it into a 400."""


def insert(conn: Connection, entry: LogEntry, *, keep_transcript: bool) -> None:
    """Upsert one entry: the async path logs at accept time and again when the result exists."""
    row = asdict(entry)
    row["created_at"] = entry.created_at or time.time()
    # Transcripts are kept only when the operator opted in, and never for redaction requests.
    if not keep_transcript or entry.redact_pii or entry.redact_pci:
        row["transcription"] = ""
    for name in _BOOLS:
        row[name] = int(bool(row[name]))
    names = ", ".join(_COLUMNS)
    marks = ", ".join(f":{c}" for c in _COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c not in ("request_id", "created_at", "owner"))
    conn.execute(
        f"INSERT INTO request_log ({names}) VALUES ({marks}) ON CONFLICT(request_id) DO UPDATE SET {updates}",
        row,
    )


def _wire(row: Any) -> dict[str, Any]:
    """One E6 `StreamingSpeechToTextLogEntry`."""
    entry: dict[str, Any] = {c: row[c] for c in _COLUMNS if c not in ("owner", "created_at")}
    for name in _BOOLS:
        entry[name] = bool(entry[name])
    entry["file_size"] = str(row["file_size"])
    # The SDK documents server-local time in this exact format.
    entry["timestamp"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["created_at"]))
    entry["webhook_url"] = row["webhook_url"] or None
    return entry


def page(conn: Connection, owner: str, page_no: int, page_size: int) -> LogPage:
    if not 1 <= page_no <= MAX_PAGE:
        raise LogQueryError(f"page must be between 1 and {MAX_PAGE}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise LogQueryError(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    total = conn.execute(
        "SELECT COUNT(*) FROM request_log WHERE owner = ? AND deleted_at IS NULL", (owner,)
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT * FROM request_log WHERE owner = ? AND deleted_at IS NULL "
        "ORDER BY created_at DESC, request_id LIMIT ? OFFSET ?",
        (owner, page_size, (page_no - 1) * page_size),
    ).fetchall()
    return LogPage([_wire(r) for r in rows], page_no, page_size, total)


def soft_delete(conn: Connection, owner: str, request_id: str) -> None:
    """Idempotent: unknown ids and repeated deletes are not errors (E7)."""
    conn.execute(
        "UPDATE request_log SET deleted_at = ?, transcription = '' "
        "WHERE request_id = ? AND owner = ? AND deleted_at IS NULL",
        (time.time(), request_id, owner),
    )


def timeseries(
    conn: Connection, owner: str, start: datetime, end: datetime, granularity: str, bucket_sql: str = SQLITE_BUCKET
) -> Timeseries:
    """Request counts per UTC hour/day bucket in [start, end), zero-filled (E8)."""
    step = GRANULARITY_S.get(granularity)
    if step is None:
        raise LogQueryError(f"granularity must be one of {sorted(GRANULARITY_S)}")
    lo, hi = start.timestamp(), end.timestamp()
    if hi <= lo:
        raise LogQueryError("'to' must be after 'from'")
    first = int(lo // step)
    last = math.ceil(hi / step) - 1  # `to` is exclusive
    if last - first + 1 > MAX_BUCKETS:
        raise LogQueryError(f"range too long for granularity '{granularity}' (max {MAX_BUCKETS} buckets)")
    # Soft-deleted entries still count: deleting hides a log line, it does not undo usage.
    rows = conn.execute(
        f"SELECT {bucket_sql} AS bucket, COUNT(*) FROM request_log "
        "WHERE owner = ? AND created_at >= ? AND created_at < ? GROUP BY bucket",
        (step, owner, lo, hi),
    ).fetchall()
    counts = {int(r[0]): int(r[1]) for r in rows}
    buckets = range(first, last + 1)
    stamps = [datetime.fromtimestamp(b * step, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for b in buckets]
    return Timeseries(stamps, [counts.get(b, 0) for b in buckets])
