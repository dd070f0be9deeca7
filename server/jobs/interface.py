"""The job-store interface: what the worker pool and routers need, so a server database can replace SQLite.

All methods are blocking; async callers wrap them in `asyncio.to_thread`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from server.jobs.records import JobRecord, JobStatus, LogEntry, LogPage, NewJob, Timeseries

# Bytes, a file path (copied, or moved when the caller owns it) or an open binary file (e.g. the upload spool).
AudioSource = bytes | Path | BinaryIO


class JobStore(ABC):
    """What the worker pool and the routers need from a job database (SQLite or a server DB)."""

    audio_dir: Path

    @abstractmethod
    def save_audio(self, request_id: str, data: AudioSource, suffix: str = "", *, move: bool = False) -> Path:
        """Put a job's audio in the store's audio dir, fsynced; call before enqueue().

        A Path is copied; `move=True` moves it instead (only for files the caller owns, e.g. a spool file).
        """

    @abstractmethod
    def enqueue(self, job: NewJob) -> JobRecord:
        """Record an accepted job; it is durable when this returns."""

    @abstractmethod
    def claim(
        self, worker_id: str, lease_seconds: float, max_attempts: int | None = None, max_interruptions: int | None = None
    ) -> JobRecord | None:
        """Atomically take the oldest queued job (or a running one whose lease expired: an interruption, not a failure)."""

    @abstractmethod
    def renew_lease(self, request_id: str, worker_id: str, lease_seconds: float) -> bool: ...

    @abstractmethod
    def release(self, request_id: str, worker_id: str) -> None:
        """Put a claimed job back in the queue without counting the attempt (graceful stop)."""

    @abstractmethod
    def complete(self, request_id: str, worker_id: str, result: dict[str, Any]) -> bool:
        """Store the result; False if this worker no longer owns the job (its result is dropped)."""

    @abstractmethod
    def fail(self, request_id: str, worker_id: str, error: str, *, retryable: bool, max_attempts: int) -> JobStatus:
        """Record a processing error; retryable errors go back to the queue until max_attempts."""

    @abstractmethod
    def claim_delivery(self, worker_id: str, lease_seconds: float) -> JobRecord | None:
        """Take one finished job whose webhook is due and not yet delivered; counts the attempt before it is sent."""

    @abstractmethod
    def record_delivery_attempt(self, request_id: str, error: str, next_attempt_at: float | None) -> None:
        """The error of a failed callback (already counted by claim_delivery); next_attempt_at None = give up."""

    @abstractmethod
    def mark_delivered(self, request_id: str) -> bool: ...

    @abstractmethod
    def get(self, request_id: str) -> JobRecord | None: ...

    @abstractmethod
    def requeue_running(self) -> int:
        """At start-up: jobs a crashed process was running go back to the queue, counted as interrupted, not failed."""

    @abstractmethod
    def audio_due(self, now: float | None = None) -> list[tuple[str, Path]]: ...

    @abstractmethod
    def mark_audio_deleted(self, request_id: str) -> None: ...

    @abstractmethod
    def counts(self) -> dict[str, int]: ...

    @abstractmethod
    def log_request(self, entry: LogEntry, *, keep_transcript: bool) -> None: ...

    @abstractmethod
    def list_logs(self, owner: str, page: int, page_size: int) -> LogPage: ...

    @abstractmethod
    def delete_log(self, owner: str, request_id: str) -> None: ...

    @abstractmethod
    def usage_timeseries(self, owner: str, start: datetime, end: datetime, granularity: str) -> Timeseries: ...

    @abstractmethod
    def close(self) -> None: ...
