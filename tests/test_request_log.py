"""Request log (E6–E8) in the job store, and the job-polling and analytics routers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from server.errors import install_error_handlers
from server.jobs.records import JobRecord, LogEntry, owner_of
from server.jobs.requestlog import LogQueryError
from server.jobs.worker import JobsService
from server.routers import analytics, jobs
from server.settings import ApiKey
from tests.support.loopback import async_wait_until, fast_jobs_config
from tests.support.store_backends import BACKENDS, StoreOpener, store_opener

SECRET = "store-secret"


@pytest.fixture(params=BACKENDS)
def open_store(request: pytest.FixtureRequest) -> Iterator[StoreOpener]:
    opener = store_opener(request.param)
    yield opener
    opener.close_all()


# -- request log ------------------------------------------------------------------------------


def _entry(n: int, owner: str = "o", **kw: Any) -> LogEntry:
    return LogEntry(request_id=f"req-{n}", model="pulse", language="en", duration=1.5, file_size=1000 + n,
                    transcription=f"text {n}", owner=owner, **kw)  # fmt: skip


def test_log_keeps_transcript_only_when_enabled_and_not_redacted(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path)
    store.log_request(_entry(1), keep_transcript=False)
    store.log_request(_entry(2), keep_transcript=True)
    store.log_request(_entry(3, redact_pii=True), keep_transcript=True)
    rows = {r["request_id"]: r for r in store.list_logs("o", 1, 10).entries}
    assert rows["req-1"]["transcription"] == "" and rows["req-2"]["transcription"] == "text 2"
    assert rows["req-3"]["transcription"] == "" and rows["req-3"]["redact_pii"] is True
    assert rows["req-2"]["file_size"] == "1002" and rows["req-2"]["request_type"] == "rest"
    assert datetime.strptime(rows["req-2"]["timestamp"], "%Y-%m-%d %H:%M:%S")
    assert rows["req-2"]["webhook_url"] is None


def test_log_pages_delete_and_owner_isolation(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path)
    base = time.time() - 100
    for n in range(5):
        store.log_request(_entry(n, created_at=base + n), keep_transcript=False)
    store.log_request(_entry(99, owner="other"), keep_transcript=False)
    page = store.list_logs("o", 1, 2).to_wire()
    assert [e["request_id"] for e in page["data"]] == ["req-4", "req-3"]
    assert (page["page"], page["pageSize"], page["totalCount"], page["totalPages"]) == (1, 2, 5, 3)
    assert [e["request_id"] for e in store.list_logs("o", 3, 2).entries] == ["req-0"]
    store.delete_log("o", "req-4")
    store.delete_log("o", "req-4")  # idempotent
    store.delete_log("o", "no-such-id")
    store.delete_log("o", "req-99")  # someone else's: untouched
    assert store.list_logs("o", 1, 10).total_count == 4
    assert store.list_logs("other", 1, 10).total_count == 1
    with pytest.raises(LogQueryError):
        store.list_logs("o", 0, 10)


def test_usage_timeseries_buckets(tmp_path: Path, open_store: StoreOpener) -> None:
    store = open_store(tmp_path)
    day = datetime(2026, 8, 1, tzinfo=UTC)
    for hours in (0.5, 0.7, 2.1, 30.0):
        store.log_request(
            _entry(int(hours * 10), created_at=(day + timedelta(hours=hours)).timestamp()), keep_transcript=False
        )
    store.delete_log("o", "req-5")  # deleted entries still count as usage
    hourly = store.usage_timeseries("o", day, day + timedelta(hours=4), "hour").to_wire()
    assert hourly["timestamps"][0] == "2026-08-01T00:00:00Z" and len(hourly["timestamps"]) == 4
    assert hourly["values"] == [2, 0, 1, 0] and hourly["totalRequestCount"] == 3
    daily = store.usage_timeseries("o", day, day + timedelta(days=3), "day").to_wire()
    assert daily["values"] == [3, 1, 0]
    for bad in ("minute",):
        with pytest.raises(LogQueryError):
            store.usage_timeseries("o", day, day + timedelta(days=1), bad)
    with pytest.raises(LogQueryError):
        store.usage_timeseries("o", day, day - timedelta(days=1), "day")


# -- routers ----------------------------------------------------------------------------------


def test_job_and_analytics_routes(tmp_path: Path, open_store: StoreOpener) -> None:
    gate = asyncio.Event()

    async def process(job: JobRecord) -> dict[str, Any]:
        await gate.wait()
        return {"status": "success", "transcription": "t", "request_id": job.request_id}

    async def main() -> None:
        service = JobsService(fast_jobs_config(tmp_path, SECRET), process, store=open_store(tmp_path))
        app = FastAPI()
        install_error_handlers(app)
        app.state.api_keys = [ApiKey("sk_a", frozenset()), ApiKey("sk_b", frozenset())]
        app.state.jobs = service
        app.include_router(jobs.router)
        app.include_router(analytics.router)
        await service.start()
        transport = httpx.ASGITransport(app=app)
        auth_a = {"Authorization": "Bearer sk_a"}
        auth_b = {"Authorization": "Bearer sk_b"}
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                job = await service.submit(model="pulse-pro", options={}, audio=b"x", owner=owner_of("sk_a"))
                url = f"/waves/v1/stt/jobs/{job.request_id}"
                assert (await client.get(url)).status_code == 401
                assert (await client.get(url, headers=auth_b)).status_code == 404
                first = (await client.get(url, headers=auth_a)).json()
                assert first["status"] in ("queued", "running") and "result" not in first
                gate.set()
                assert await async_wait_until(lambda: service.store.counts() == {"done": 1})
                done = (await client.get(url, headers=auth_a)).json()
                assert done["status"] == "done" and done["result"]["transcription"] == "t"
                missing = await client.get("/waves/v1/stt/jobs/nope", headers=auth_a)
                assert missing.status_code == 404 and "nope" in missing.json()["error"]

                for n in range(3):
                    await service.log_request(_entry(n, owner=owner_of("sk_a")))
                logs = (await client.get("/waves/v1/analytics/asr/logs?page=1&pageSize=2", headers=auth_a)).json()
                assert logs["status"] == "success" and logs["totalCount"] == 3 and logs["totalPages"] == 2
                assert len(logs["data"]) == 2 and set(logs["data"][0]) >= {"request_id", "timestamp", "file_size"}
                assert (await client.get("/waves/v1/analytics/asr/logs", headers=auth_b)).json()["totalCount"] == 0
                bad = await client.get("/waves/v1/analytics/asr/logs?pageSize=1000", headers=auth_a)
                assert bad.status_code == 400 and "pageSize" in bad.json()["error"]
                for _ in range(2):
                    gone = await client.delete("/waves/v1/analytics/asr/history/req-1", headers=auth_a)
                    assert gone.status_code == 200 and gone.json() == {"status": "success"}
                logs = (await client.get("/waves/v1/analytics/asr/logs", headers=auth_a)).json()
                assert sorted(e["request_id"] for e in logs["data"]) == ["req-0", "req-2"]
                series = (await client.get("/waves/v1/analytics/asr/usage/timeseries?granularity=hour&from="
                          + (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                          headers=auth_a)).json()  # fmt: skip
                assert series["totalRequestCount"] == 3 and len(series["values"]) in (2, 3)
                wrong = await client.get("/waves/v1/analytics/asr/usage/timeseries?from=yesterday", headers=auth_a)
                assert wrong.status_code == 400 and "ISO 8601" in wrong.json()["error"]
        finally:
            await service.stop()
            service.close()

    asyncio.run(main())
