"""Typed settings for async jobs, webhooks and URL fetching: the YAML `jobs:` section."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from models.streaming.config import _Strict

MB = 1024 * 1024


class StoreConfig(_Strict):
    """Where and how durably jobs and the request log are kept."""

    # SQLite file lives here; accepted audio goes to `<data_dir>/audio/`. Unset in the YAML (and in
    # PULSE_JOBS__STORE__DATA_DIR), the process setting PULSE_DATA_DIR fills it (server/config.py).
    data_dir: Path = Path(".data")
    # FULL survives power loss too; NORMAL survives a process crash (kill -9) and is faster.
    sqlite_synchronous: str = "FULL"
    # Seconds to keep a job's audio after it reached a final state (0 = delete at once).
    audio_retention_s: float = 0.0
    # The operator may keep transcripts in the request log (never for redacted requests).
    log_transcripts: bool = False


class WorkerConfig(_Strict):
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


class WebhookConfig(_Strict):
    """Callback delivery: signing, retry schedule, limits."""

    # Empty = PULSE_WEBHOOK_SECRET if set, else a random secret created once and kept in
    # `<data_dir>/webhook_secret`.
    secret: str = ""
    max_attempts: int = 10
    base_delay_s: float = 2.0
    max_delay_s: float = 600.0
    # Upper bound for a receiver's Retry-After.
    retry_after_cap_s: float = 3600.0
    timeout_s: float = 15.0
    # GET callbacks put the result in the query string; above this size bulky fields are dropped.
    max_get_url_bytes: int = 8000


class FetchConfig(_Strict):
    """Audio by URL and webhook URL safety."""

    # Unset in the YAML (and in PULSE_JOBS__FETCH__MAX_BYTES): `limits.max_upload_bytes` (server/config.py).
    max_bytes: int = 250 * MB
    total_timeout_s: float = 120.0
    connect_timeout_s: float = 10.0
    max_redirects: int = 5
    # CIDRs ("10.0.0.0/8", "::1/128") and host names ("media.internal", "*.corp.example")
    # that may be fetched / called back even though they are not public.
    allow: list[str] = Field(default_factory=list)
    user_agent: str = "pulse-server-fetch/1"


class JobsConfig(_Strict):
    store: StoreConfig = Field(default_factory=StoreConfig)
    worker: WorkerConfig = Field(default_factory=WorkerConfig)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
