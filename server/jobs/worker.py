"""Worker pool and the `JobsService` facade: claim jobs, run the injected processing, deliver webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.jobs.config import JobsConfig
from server.jobs.interface import AudioSource
from server.jobs.records import JobRecord, LogEntry, LogPage, NewJob, Timeseries
from server.jobs.ssrf import UrlGuard
from server.jobs.store import JobStore, SqliteJobStore
from server.jobs.webhooks import WebhookDeliverer, load_or_create_secret

log = logging.getLogger(__name__)

# The transcription of one job; returns the full wire body (shape (a) or (b) of spec §3.4).
ProcessFn = Callable[[JobRecord], Awaitable[dict[str, Any]]]


class JobError(Exception):
    """Raised by ProcessFn for a failure; retryable=False means retrying cannot help (bad audio)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass
class _Signals:
    work: asyncio.Event
    delivery: asyncio.Event


class JobsService:
    """Owns the store, the processing workers, the delivery workers and the audio janitor."""

    def __init__(
        self,
        config: JobsConfig,
        process: ProcessFn,
        *,
        store: JobStore | None = None,
        guard: UrlGuard | None = None,
        deliverer: WebhookDeliverer | None = None,
    ) -> None:
        self.config = config
        self.process = process
        self.store = store or SqliteJobStore(
            config.store.data_dir,
            synchronous=config.store.sqlite_synchronous,
            audio_retention_s=config.store.audio_retention_s,
        )
        self.guard = guard or UrlGuard(config.fetch.allow)
        self._deliverer = deliverer
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self._stopping = asyncio.Event()
        self._signals: _Signals | None = None
        self.instance_id = uuid.uuid4().hex[:8]
        self.delivery_outcomes: Counter[str] = Counter()  # read by /metrics

    @property
    def deliverer(self) -> WebhookDeliverer:
        if self._deliverer is None:
            secret = load_or_create_secret(self.config.store.data_dir, self.config.webhook.secret)
            self._deliverer = WebhookDeliverer(self.config.webhook, secret, self.guard)
        return self._deliverer

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Requeue what a crashed process left running, then start the loops."""
        requeued = await asyncio.to_thread(self.store.requeue_running)
        if requeued:
            log.warning("requeued %d job(s) left running by a previous process", requeued)
        self._stopping.clear()
        self._signals = _Signals(asyncio.Event(), asyncio.Event())
        worker = self.config.worker
        for n in range(worker.concurrency):
            self._tasks.append(asyncio.create_task(self._process_loop(f"{self.instance_id}-p{n}")))
        for n in range(worker.delivery_concurrency):
            self._tasks.append(asyncio.create_task(self._delivery_loop(f"{self.instance_id}-d{n}")))
        self._tasks.append(asyncio.create_task(self._janitor_loop()))

    async def stop(self) -> None:
        """Let running jobs finish for stop_grace_s; unfinished ones go back to the queue."""
        self._stopping.set()
        self._wake()
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=self.config.worker.stop_grace_s)
        for task in self._running.values():
            task.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        # A clean-up cut short by the cancellation above is finished now rather than at next start.
        try:
            await self._purge_audio()
        except Exception:
            log.exception("audio clean-up at stop failed")
        if self._deliverer is not None:
            await self._deliverer.aclose()

    def close(self) -> None:
        self.store.close()

    # -- API for routes -------------------------------------------------------------------------

    async def submit(
        self,
        *,
        model: str,
        options: dict[str, Any],
        audio: AudioSource,
        owner: str = "",
        webhook_url: str | None = None,
        webhook_method: str = "POST",
        webhook_extra: dict[str, str] | None = None,
        request_id: str | None = None,
        suffix: str = "",
        move_audio: bool = False,
    ) -> JobRecord:
        """Save audio (fsync), record the job (commit), wake a worker. Raises UrlRefused for a bad webhook.

        A Path is copied unless `move_audio=True` (use that for spool/download files the caller owns).
        """
        if webhook_url:
            await self.guard.check(webhook_url, what="webhook_url")
        request_id = request_id or str(uuid.uuid4())
        audio_path = await asyncio.to_thread(lambda: self.store.save_audio(request_id, audio, suffix, move=move_audio))
        job = NewJob(
            request_id=request_id,
            model=model,
            options=options,
            audio_path=audio_path,
            owner=owner,
            webhook_url=webhook_url or None,
            webhook_method=webhook_method.upper(),
            webhook_extra=webhook_extra or {},
        )
        try:
            record = await asyncio.to_thread(self.store.enqueue, job)
        except BaseException:
            audio_path.unlink(missing_ok=True)
            raise
        self._wake()
        return record

    async def get(self, request_id: str) -> JobRecord | None:
        return await asyncio.to_thread(self.store.get, request_id)

    async def log_request(self, entry: LogEntry) -> None:
        keep = self.config.store.log_transcripts
        await asyncio.to_thread(lambda: self.store.log_request(entry, keep_transcript=keep))

    async def list_logs(self, owner: str, page: int, page_size: int) -> LogPage:
        return await asyncio.to_thread(self.store.list_logs, owner, page, page_size)

    async def delete_log(self, owner: str, request_id: str) -> None:
        await asyncio.to_thread(self.store.delete_log, owner, request_id)

    async def usage_timeseries(self, owner: str, start: datetime, end: datetime, granularity: str) -> Timeseries:
        return await asyncio.to_thread(self.store.usage_timeseries, owner, start, end, granularity)

    # -- loops --------------------------------------------------------------------------------

    def _wake(self, delivery: bool = False) -> None:
        if self._signals is None:
            return
        (self._signals.delivery if delivery else self._signals.work).set()
        if self._stopping.is_set():
            self._signals.work.set()
            self._signals.delivery.set()

    async def _idle(self, event: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), self.config.worker.poll_interval_s)
        event.clear()

    async def _process_loop(self, worker_id: str) -> None:
        assert self._signals is not None
        worker = self.config.worker
        while not self._stopping.is_set():
            try:
                job = await asyncio.to_thread(
                    self.store.claim, worker_id, worker.lease_s, worker.max_process_attempts, worker.max_interruptions
                )
            except Exception:
                log.exception("claim failed")
                job = None
            if job is None:
                await self._idle(self._signals.work)
                continue
            await self._run_one(worker_id, job)

    async def _run_one(self, worker_id: str, job: JobRecord) -> None:
        worker = self.config.worker
        task = asyncio.create_task(self.process(job))
        self._running[job.request_id] = task
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=worker.lease_renew_s)
                if done:
                    break
                # Still working: keep the lease so no one else picks the job up.
                await asyncio.to_thread(self.store.renew_lease, job.request_id, worker_id, worker.lease_s)
            result = task.result()
        except asyncio.CancelledError:
            if self._stopping.is_set():
                await asyncio.to_thread(self.store.release, job.request_id, worker_id)
                return
            raise
        except JobError as exc:
            await self._record_failure(worker_id, job, exc.message, exc.retryable)
        except Exception as exc:  # any processing crash is recorded; the loop goes on
            log.exception("job %s failed", job.request_id)
            await self._record_failure(worker_id, job, f"internal error: {type(exc).__name__}", True)
        else:
            stored = await asyncio.to_thread(self.store.complete, job.request_id, worker_id, result)
            if not stored:
                log.warning("job %s finished after losing its lease; result dropped", job.request_id)
        finally:
            self._running.pop(job.request_id, None)
        self._wake(delivery=True)
        if self.config.store.audio_retention_s <= 0:
            await self._purge_audio()

    async def _record_failure(self, worker_id: str, job: JobRecord, message: str, retryable: bool) -> None:
        await asyncio.to_thread(
            lambda: self.store.fail(
                job.request_id,
                worker_id,
                message,
                retryable=retryable,
                max_attempts=self.config.worker.max_process_attempts,
            )
        )

    async def _delivery_loop(self, worker_id: str) -> None:
        assert self._signals is not None
        lease = self.config.webhook.timeout_s * 2 + 5
        while not self._stopping.is_set():
            try:
                job = await asyncio.to_thread(self.store.claim_delivery, worker_id, lease)
            except Exception:
                log.exception("claim_delivery failed")
                job = None
            if job is None:
                await self._idle(self._signals.delivery)
                continue
            # claim_delivery has already counted this attempt durably: a kill from here on
            # re-sends at most once, and the status shows the attempt that was cut short.
            outcome = await self.deliverer.deliver_once(job)
            self.delivery_outcomes["ok" if outcome.ok else "permanent_error" if outcome.permanent else "retryable_error"] += 1
            if outcome.ok:
                await asyncio.to_thread(self.store.mark_delivered, job.request_id)
            else:
                next_at = self.deliverer.next_attempt_at(job, outcome)
                log.info("webhook for %s failed (%s); next attempt at %s", job.request_id, outcome.error, next_at)
                await asyncio.to_thread(self.store.record_delivery_attempt, job.request_id, outcome.error, next_at)
            if self.config.store.audio_retention_s <= 0:
                await self._purge_audio()

    async def _purge_audio(self) -> int:
        due = await asyncio.to_thread(self.store.audio_due, time.time())
        for request_id, path in due:
            await asyncio.to_thread(path.unlink, True)
            await asyncio.to_thread(self.store.mark_audio_deleted, request_id)
        return len(due)

    async def _janitor_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._purge_audio()
            except Exception:
                log.exception("audio clean-up failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.worker.janitor_interval_s)
