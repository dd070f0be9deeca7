"""Typed settings for async jobs, webhooks and URL fetching; a YAML `jobs:` section fills them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.configfill import fill_dataclass

MB = 1024 * 1024


@dataclass
class StoreConfig:
    """Where and how durably jobs and the request log are kept."""

    # SQLite file lives here; accepted audio goes to `<data_dir>/audio/`.
    data_dir: Path = Path(".data")
    # FULL survives power loss too; NORMAL survives a process crash (kill -9) and is faster.
    sqlite_synchronous: str = "FULL"
    # Seconds to keep a job's audio after it reached a final state (0 = delete at once).
    audio_retention_s: float = 0.0
    # The operator may keep transcripts in the request log (never for redacted requests).
    log_transcripts: bool = False


@dataclass
class WorkerConfig:
    """How many jobs run at once and how a crashed or stuck run is detected."""

    concurrency: int = 1
    delivery_concurrency: int = 4
    lease_s: float = 60.0
    # Renew the lease this often while a job runs (must be well below lease_s).
    lease_renew_s: float = 15.0
    # Idle workers re-check the store this often even without a wake-up.
    poll_interval_s: float = 1.0
    # A job whose processing raised this many times is failed.
    max_process_attempts: int = 3
    # A job whose runs were cut short by a restart this many times is failed (it may be what kills the process).
    max_interruptions: int = 10
    # On stop(), running jobs get this long to finish before they are put back in the queue.
    stop_grace_s: float = 5.0
    janitor_interval_s: float = 30.0


@dataclass
class WebhookConfig:
    """Callback delivery: signing, retry schedule, limits."""

    # Empty = a random secret is created once and kept in `<data_dir>/webhook_secret`.
    secret: str = ""
    max_attempts: int = 10
    base_delay_s: float = 2.0
    max_delay_s: float = 600.0
    # Upper bound for a receiver's Retry-After.
    retry_after_cap_s: float = 3600.0
    timeout_s: float = 15.0
    # GET callbacks put the result in the query string; above this size bulky fields are dropped.
    max_get_url_bytes: int = 8000
    # Receivers should reject signatures older than this (used by verify_signature's default).
    signature_tolerance_s: float = 300.0


@dataclass
class FetchConfig:
    """Audio by URL and webhook URL safety."""

    max_bytes: int = 250 * MB
    total_timeout_s: float = 120.0
    connect_timeout_s: float = 10.0
    max_redirects: int = 5
    # CIDRs ("10.0.0.0/8", "::1/128") and host names ("media.internal", "*.corp.example")
    # that may be fetched / called back even though they are not public.
    allow: list[str] = field(default_factory=list)
    user_agent: str = "pulse-server-fetch/1"


@dataclass
class JobsConfig:
    store: StoreConfig = field(default_factory=StoreConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> JobsConfig:
        """Build from a YAML `jobs:` mapping; unknown keys are an error so typos are caught."""
        return fill_dataclass(cls(), data or {}, "jobs")
