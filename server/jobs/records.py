"""Plain records shared by the job store, the worker and the routers (no I/O here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    # Result computed and stored; waiting for (or not needing) webhook delivery.
    DONE = "done"
    # Processing failed for good; a failure callback may still be pending.
    FAILED = "failed"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"


def owner_of(api_key: str) -> str:
    """Who a job or log entry belongs to: a short hash, so keys themselves are never stored."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


@dataclass
class NewJob:
    """What the route hands over when it accepts async work (the audio is already on disk)."""

    request_id: str
    model: str
    options: dict[str, Any]
    audio_path: Path
    owner: str = ""
    webhook_url: str | None = None
    webhook_method: str = "POST"
    webhook_extra: dict[str, str] = field(default_factory=dict)


@dataclass
class JobRecord:
    """One row of the job table."""

    request_id: str
    created_at: float
    updated_at: float
    model: str
    options: dict[str, Any]
    audio_path: Path | None
    owner: str
    status: JobStatus
    attempts: int
    result: dict[str, Any] | None
    error: str | None
    webhook_url: str | None
    webhook_method: str
    webhook_extra: dict[str, str]
    delivery_attempts: int
    delivery_error: str | None
    next_delivery_at: float | None
    delivered_at: float | None
    lease_owner: str | None
    lease_until: float | None
    # Runs cut short by a restart or an expired lease; they are not counted in `attempts`.
    interruptions: int = 0

    def public_view(self) -> dict[str, Any]:
        """What `GET /waves/v1/stt/jobs/{id}` shows: state, and the result once there is one."""
        view: dict[str, Any] = {
            "request_id": self.request_id,
            "status": self.status.value,
            "model": self.model,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "attempts": self.attempts,
        }
        if self.interruptions:
            view["interruptions"] = self.interruptions
        if self.error:
            view["error"] = self.error
        if self.webhook_url:
            view["webhook"] = {
                "url": self.webhook_url,
                "method": self.webhook_method,
                "attempts": self.delivery_attempts,
                "last_error": self.delivery_error,
                "next_attempt_at": self.next_delivery_at,
                "delivered_at": self.delivered_at,
            }
        if self.result is not None:
            view["result"] = self.result
        return view


@dataclass
class LogEntry:
    """One request-log row: the fields of spec §1.2 E6 (never audio)."""

    request_id: str
    request_type: str = "rest"
    model: str = ""
    language: str = ""
    duration: float = 0.0
    file_size: int = 0
    transcription: str = ""
    word_timestamps: bool = False
    diarize: bool = False
    redact_pii: bool = False
    redact_pci: bool = False
    numerals: str = "auto"
    keywords: str = ""
    emotion_detection: bool = False
    gender_detection: bool = False
    emotions: str = ""
    gender: str = ""
    webhook_url: str = ""
    owner: str = ""
    # Unix seconds; 0 = now.
    created_at: float = 0.0

    @classmethod
    def for_request(
        cls, features: frozenset[str], transcription: str, log_transcripts: bool, **fields: Any
    ) -> LogEntry:
        """A row whose option flags come from the request's feature set; the transcript is kept only when
        the operator enabled it, and never for a redacted request (REST, async and live rows alike)."""
        keep_text = log_transcripts and not features & {"redact_pii", "redact_pci"}
        flags = ("diarize", "redact_pii", "redact_pci", "emotion_detection", "gender_detection")
        return cls(transcription=transcription if keep_text else "", **{f: f in features for f in flags}, **fields)


@dataclass
class LogPage:
    entries: list[dict[str, Any]]
    page: int
    page_size: int
    total_count: int

    @property
    def total_pages(self) -> int:
        return (self.total_count + self.page_size - 1) // self.page_size

    def to_wire(self) -> dict[str, Any]:
        """E6 envelope with the SDK's camelCase names."""
        return {
            "status": "success",
            "data": self.entries,
            "page": self.page,
            "pageSize": self.page_size,
            "totalCount": self.total_count,
            "totalPages": self.total_pages,
        }


@dataclass
class Timeseries:
    timestamps: list[str]
    values: list[int]

    def to_wire(self) -> dict[str, Any]:
        """E8 `CountTimeseriesResponse`."""
        return {"timestamps": self.timestamps, "values": self.values, "totalRequestCount": sum(self.values)}
