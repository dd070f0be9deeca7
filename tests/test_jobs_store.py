"""Job store durability and exactly-once delivery (incl. SIGKILL of a real process), request log, routers."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.jobs.interface import JobStore
from server.jobs.records import JobRecord, JobStatus, NewJob
from server.jobs.worker import JobsService
from tests.helpers import REPO
from tests.support.loopback import WebhookReceiver, async_wait_until, fast_jobs_config, wait_until
from tests.support.store_backends import BACKENDS, StoreOpener, database_url, opener_for_url, store_opener

SECRET = "store-secret"


@pytest.fixture(params=BACKENDS)
def open_store(request: pytest.FixtureRequest) -> Iterator[StoreOpener]:
    opener = store_opener(request.param)
    yield opener
    opener.close_all()


def _job(store: JobStore, n: int, webhook: str | None = None) -> NewJob:
    rid = f"00000000-0000-0000-0000-{n:012d}"
    path = store.save_audio(rid, f"audio {n}".encode(), ".wav")
    return NewJob(rid, "pulse-pro", {"language": "en", "n": n}, path, owner="o", webhook_url=webhook)


def test_enqueue_claim_complete_in_order(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path)
    ids = [store.enqueue(_job(store, n)).request_id for n in range(3)]
    first = store.claim("w1", 30)
    assert first is not None and first.request_id == ids[0] and first.status is JobStatus.RUNNING
    assert first.attempts == 1 and first.options == {"language": "en", "n": 0}
    assert first.audio_path is not None and first.audio_path.read_bytes() == b"audio 0"
    second = store.claim("w2", 30)
    assert second is not None and second.request_id == ids[1]
    assert store.complete(ids[0], "w1", {"status": "success", "transcription": "x"})
    done = store.get(ids[0])
    assert (
        done is not None
        and done.status is JobStatus.DONE
        and done.result == {"status": "success", "transcription": "x"}
    )
    # No webhook: the audio is due for deletion now (retention 0).
    assert [rid for rid, _ in store.audio_due()] == [ids[0]]
    assert store.counts() == {"done": 1, "running": 1, "queued": 1}
    store.close()


def test_save_audio_from_bytes_path_and_spool(tmp_path: Path, open_store: StoreOpener) -> None:
    import tempfile

    store = open_store(tmp_path / "d")
    source = tmp_path / "upload.flac"
    source.write_bytes(b"0123456789" * 300_000)
    copied = store.save_audio("a1", source, ".flac")
    assert copied.read_bytes() == source.read_bytes() and source.exists()  # a Path is copied by default
    moved = store.save_audio("a2", source, ".flac", move=True)
    assert moved.stat().st_size == 3_000_000 and not source.exists()
    with tempfile.SpooledTemporaryFile(max_size=1024) as spool:
        spool.write(b"spooled audio" * 1000)
        spool.seek(0)
        assert store.save_audio("a3", spool, ".weird suffix").read_bytes() == b"spooled audio" * 1000
    assert sorted(p.name for p in store.audio_dir.iterdir()) == ["a1.flac", "a2.flac", "a3"]
    with pytest.raises(ValueError):
        store.save_audio("../escape", b"x")


def test_expired_lease_is_reclaimed_and_stale_result_dropped(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path)
    rid = store.enqueue(_job(store, 1)).request_id
    assert store.claim("slow", lease_seconds=-1) is not None  # lease already over
    again = store.claim("fast", 30)
    # The run whose lease ran out was cut short, not failed: it is an interruption, not an attempt.
    assert again is not None and again.request_id == rid and (again.attempts, again.interruptions) == (1, 1)
    # The first worker comes back late: its result must not overwrite or duplicate.
    assert not store.complete(rid, "slow", {"status": "success", "transcription": "late"})
    assert store.complete(rid, "fast", {"status": "success", "transcription": "ok"})
    record = store.get(rid)
    assert record is not None and record.result == {"status": "success", "transcription": "ok"}
    assert store.claim("any", 30) is None


def test_fail_retries_then_gives_up(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path)
    rid = store.enqueue(_job(store, 1, webhook="http://127.0.0.1:9/h")).request_id
    for attempt in (1, 2):
        assert store.claim("w", 30, max_attempts=3) is not None
        assert store.fail(rid, "w", f"boom {attempt}", retryable=True, max_attempts=3) is JobStatus.QUEUED
    assert store.claim("w", 30, max_attempts=3) is not None
    assert store.fail(rid, "w", "boom 3", retryable=True, max_attempts=3) is JobStatus.FAILED
    record = store.get(rid)
    assert record is not None and record.status is JobStatus.FAILED and record.attempts == 3
    assert record.result == {"status": "failed", "request_id": rid, "error": "boom 3"}
    # A failed job with a webhook still gets its failure callback.
    delivery = store.claim_delivery("d", 30)
    assert delivery is not None and delivery.request_id == rid


def test_crash_looping_job_is_failed_not_retried_forever(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path)
    rid = store.enqueue(_job(store, 1)).request_id
    for _ in range(2):
        # The process died mid-job and its lease ran out (a shared database only takes back expired leases).
        assert store.claim("w", -1, max_attempts=2, max_interruptions=3) is not None
        assert store.requeue_running() == 1
        record = store.get(rid)
        assert record is not None and record.attempts == 0  # a crash does not burn a processing attempt
    assert store.claim("w", -1, max_attempts=2, max_interruptions=3) is not None
    assert store.requeue_running() == 1
    assert store.claim("w", 30, max_attempts=2, max_interruptions=3) is None
    record = store.get(rid)
    assert record is not None and record.status is JobStatus.FAILED and "interrupted 3 times" in (record.error or "")


def test_delivered_job_is_never_delivered_again_after_reopen(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path, audio_retention_s=3600)
    rid = store.enqueue(_job(store, 1, webhook="http://127.0.0.1:9/h")).request_id
    assert store.claim("w", 30) is not None and store.complete(rid, "w", {"status": "success"})
    claimed = store.claim_delivery("d", 30)
    assert claimed is not None and store.claim_delivery("d2", 30) is None  # leased to d
    assert store.mark_delivered(rid) and not store.mark_delivered(rid)
    assert store.audio_due() == []  # kept for the retention period
    assert len(store.audio_due(now=time.time() + 3601)) == 1
    store.close()
    reopened = open_store(tmp_path)
    assert reopened.requeue_running() == 0
    assert reopened.claim_delivery("d", 30) is None and reopened.claim("w", 30) is None
    record = reopened.get(rid)
    assert record is not None and record.status is JobStatus.DELIVERED


def test_computed_but_undelivered_result_is_delivered_without_recompute(
    tmp_path: Path, open_store: StoreOpener
) -> None:
    calls: list[str] = []

    async def must_not_run(job: JobRecord) -> dict[str, Any]:
        calls.append(job.request_id)
        return {"status": "success"}

    with WebhookReceiver(SECRET) as receiver:
        store = open_store(tmp_path)
        rid = store.enqueue(_job(store, 1, webhook=receiver.url)).request_id
        assert store.claim("old-process", 30) is not None
        assert store.complete(rid, "old-process", {"status": "success", "transcription": "computed once"})
        store.close()  # the old process stops here, before delivering

        async def main() -> None:
            service = JobsService(fast_jobs_config(tmp_path, SECRET), must_not_run, store=open_store(tmp_path))
            await service.start()
            try:
                assert await async_wait_until(lambda: receiver.delivered()[rid] == 1)
            finally:
                await service.stop()
                service.close()

        asyncio.run(main())
        assert calls == [] and receiver.delivered() == {rid: 1}
        assert json.loads(receiver.hits[0].body)["transcription"] == "computed once"


def test_graceful_stop_puts_running_job_back(tmp_path: Path, open_store: StoreOpener) -> None:
    started = asyncio.Event()

    async def endless(job: JobRecord) -> dict[str, Any]:
        started.set()
        await asyncio.sleep(3600)
        return {}

    async def main() -> str:
        config = fast_jobs_config(tmp_path, SECRET)
        config.worker.stop_grace_s = 0.1
        service = JobsService(config, endless, store=open_store(tmp_path))
        await service.start()
        job = await service.submit(model="pulse-pro", options={}, audio=b"x")
        await asyncio.wait_for(started.wait(), 10)
        await service.stop()
        service.close()
        return job.request_id

    rid = asyncio.run(main())
    record = open_store(tmp_path).get(rid)
    assert record is not None and record.status is JobStatus.QUEUED and record.attempts == 0


CHILD = r"""
import asyncio, json, sys
from pathlib import Path
from server.jobs.config import JobsConfig
from server.jobs.store_select import open_store
from server.jobs.worker import JobsService

data_dir, hook_url, n_jobs, block_at, db_url = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

async def main():
    config = JobsConfig()
    config.store.data_dir = Path(data_dir)
    config.webhook.secret = "store-secret"
    config.fetch.allow = ["127.0.0.1/32"]
    config.worker.poll_interval_s = 0.05
    # Short leases: with a shared database the restarted process takes the job back once this lease runs out.
    config.worker.lease_s, config.worker.lease_renew_s = 2.0, 0.5
    seen = 0

    async def process(job):
        nonlocal seen
        seen += 1
        if seen == block_at:
            print("BLOCKED", job.request_id, flush=True)
            await asyncio.sleep(3600)  # killed here, mid-job
        return {"status": "success", "transcription": job.audio_path.read_text(), "request_id": job.request_id}

    service = JobsService(config, process, store=open_store(config.store, db_url))
    ids = []
    for i in range(n_jobs):
        record = await service.submit(model="pulse-pro", options={"i": i}, audio=f"clip {i}".encode(),
                                      webhook_url=hook_url)
        ids.append(record.request_id)
    print("ENQUEUED", json.dumps(ids), flush=True)
    await service.start()
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_mid_job_then_restart_delivers_each_job_exactly_once(tmp_path: Path, backend: str) -> None:
    n_jobs, block_at = 6, 3
    url = database_url(backend)
    open_store = opener_for_url(url)
    with WebhookReceiver(SECRET) as receiver:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), receiver.url, str(n_jobs), str(block_at), url],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            lines = _lines(proc)
            enqueued = lines.get(timeout=30)
            assert enqueued.startswith("ENQUEUED"), enqueued
            ids: list[str] = json.loads(enqueued.split(" ", 1)[1])
            blocked = lines.get(timeout=30)
            assert blocked == f"BLOCKED {ids[block_at - 1]}"
            before = ids[: block_at - 1]
            # Kill only once the earlier jobs are recorded as delivered: then any duplicate is a bug.
            observer = open_store(tmp_path)
            assert wait_until(lambda: all(observer.get(r).status is JobStatus.DELIVERED for r in before), 30)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        crashed = observer.get(ids[block_at - 1])
        assert crashed is not None and crashed.status is JobStatus.RUNNING
        observer.close()

        processed: list[str] = []

        async def process(job: JobRecord) -> dict[str, Any]:
            processed.append(job.request_id)
            assert job.audio_path is not None
            return {"status": "success", "transcription": job.audio_path.read_text(), "request_id": job.request_id}

        async def restart() -> None:
            service = JobsService(fast_jobs_config(tmp_path, SECRET), process, store=open_store(tmp_path))
            await service.start()
            try:
                assert await async_wait_until(lambda: len(receiver.delivered()) == n_jobs)
                assert await async_wait_until(lambda: service.store.counts() == {"delivered": n_jobs})
                # Every delivered job's audio goes, including those whose clean-up the kill interrupted.
                assert await async_wait_until(lambda: not any(service.store.audio_dir.iterdir()))
            finally:
                await service.stop()
                service.close()

        asyncio.run(restart())
        assert receiver.delivered() == {rid: 1 for rid in ids}
        # Each unfinished job ran once more (with a shared database the killed one waits for its lease to end).
        assert sorted(processed) == sorted(ids[block_at - 1 :])
        for n, rid in enumerate(ids):
            hit = next(h for h in receiver.hits if h.headers["x-pulse-request-id"] == rid)
            assert json.loads(hit.body)["transcription"] == f"clip {n}" and receiver.signature_ok(hit)
        store = open_store(tmp_path)
        crashed = store.get(ids[block_at - 1])
        # The run the kill cut short is an interruption; only the run that finished is an attempt.
        assert crashed is not None and (crashed.attempts, crashed.interruptions) == (1, 1)
