"""Durable async jobs, webhook delivery, audio by URL (SSRF-guarded) and the request log (issue 6)."""

from server.jobs.config import FetchConfig, JobsConfig, StoreConfig, WebhookConfig, WorkerConfig
from server.jobs.fetch import FetchedAudio, FetchError, fetch_audio
from server.jobs.records import JobRecord, JobStatus, LogEntry, LogPage, NewJob, Timeseries, owner_of
from server.jobs.ssrf import PinnedTarget, UrlGuard, UrlRefused
from server.jobs.store import JobStore, SqliteJobStore
from server.jobs.webhooks import WebhookDeliverer, WebhookExtraError, parse_webhook_extra, verify_signature
from server.jobs.worker import JobError, JobsService, ProcessFn

__all__ = [
    "FetchConfig",
    "FetchError",
    "FetchedAudio",
    "JobError",
    "JobRecord",
    "JobStatus",
    "JobStore",
    "JobsConfig",
    "JobsService",
    "LogEntry",
    "LogPage",
    "NewJob",
    "PinnedTarget",
    "ProcessFn",
    "SqliteJobStore",
    "StoreConfig",
    "Timeseries",
    "UrlGuard",
    "UrlRefused",
    "WebhookConfig",
    "WebhookDeliverer",
    "WebhookExtraError",
    "WorkerConfig",
    "fetch_audio",
    "owner_of",
    "parse_webhook_extra",
    "verify_signature",
]
