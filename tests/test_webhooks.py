"""Webhook delivery through the real worker service to a real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from server.jobs.config import JobsConfig
from server.jobs.records import JobRecord, JobStatus
from server.jobs.ssrf import UrlRefused
from server.jobs.webhooks import WebhookExtraError, parse_webhook_extra, sign, verify_signature
from server.jobs.worker import JobError, JobsService
from tests.helpers import DATA
from tests.support.loopback import WebhookReceiver, async_wait_until

CLIP = DATA / "asr_en" / "jfk.flac"
SECRET = "test-secret"


async def describe_audio(job: JobRecord) -> dict[str, Any]:
    """Stand-in for transcription: a shape-(b) body built from the stored audio file itself."""
    assert job.audio_path is not None
    data = job.audio_path.read_bytes()
    words = [{"word": f"w{i}", "start": i * 0.5, "end": i * 0.5 + 0.4, "confidence": 0.9} for i in range(400)]
    return {
        "status": "success",
        "transcription": f"{len(data)} bytes of {job.options.get('language', '?')}",
        "words": words,
        "language": "en",
        "metadata": {"duration": 11.0, "processing_time_ms": 1.0, "rtfx": 1.0, "num_chunks": 1},
        "totalBytes": len(data),
        "request_id": job.request_id,
    }


def _config(tmp_path: Path, **webhook: Any) -> JobsConfig:
    config = JobsConfig()
    config.store.data_dir = tmp_path / "data"
    config.webhook.secret = SECRET
    config.webhook.base_delay_s = 0.01
    config.webhook.max_delay_s = 0.05
    config.worker.poll_interval_s = 0.05
    config.fetch.allow = ["127.0.0.1/32"]
    for key, value in webhook.items():
        setattr(config.webhook, key, value)
    return config


def run(
    tmp_path: Path,
    scenario: Callable[[JobsService], Awaitable[None]],
    process: Callable[[JobRecord], Awaitable[dict[str, Any]]] = describe_audio,
    **webhook: Any,
) -> None:
    async def main() -> None:
        service = JobsService(_config(tmp_path, **webhook), process)
        await service.start()
        try:
            await asyncio.wait_for(scenario(service), timeout=30)
        finally:
            await service.stop()
            service.close()

    asyncio.run(main())


async def _final(service: JobsService, request_id: str, states: set[JobStatus]) -> JobRecord:
    record: JobRecord | None = None

    async def check() -> bool:
        nonlocal record
        record = await service.get(request_id)
        return record is not None and record.status in states

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not await check():
        await asyncio.sleep(0.02)
    assert record is not None and record.status in states, record
    return record


@pytest.fixture
def receiver() -> WebhookReceiver:
    if not CLIP.exists():
        pytest.skip(f"shared data missing: {CLIP}")
    size = CLIP.stat().st_size
    with WebhookReceiver(SECRET) as rec:
        yield rec
    # Paths handed to submit() are copied, never moved: the shared data must be untouched.
    assert CLIP.stat().st_size == size


def test_post_delivery_with_extra_and_signature(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async def scenario(service: JobsService) -> None:
        job = await service.submit(
            model="pulse-pro",
            options={"language": "en"},
            audio=CLIP.read_bytes(),
            suffix=".flac",
            webhook_url=receiver.url,
            webhook_extra=parse_webhook_extra("order:A-17, callback:https://crm.example/x?y=1"),
        )
        assert job.status is JobStatus.QUEUED
        done = await _final(service, job.request_id, {JobStatus.DELIVERED})
        assert done.delivery_attempts == 1 and done.delivered_at is not None
        # Audio retention 0: deleted once delivered.
        assert await async_wait_until(lambda: not any(service.store.audio_dir.iterdir()), 5)
        assert receiver.delivered() == {job.request_id: 1}
        hit = receiver.hits[0]
        assert hit.method == "POST" and hit.headers["content-type"] == "application/json"
        assert receiver.signature_ok(hit)
        body = json.loads(hit.body)
        assert body["request_id"] == job.request_id and body["status"] == "success"
        assert body["totalBytes"] == CLIP.stat().st_size
        assert body["order"] == "A-17" and body["callback"] == "https://crm.example/x?y=1"
        assert len(body["words"]) == 400

    run(tmp_path, scenario)


def test_get_delivery_with_extra(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async def scenario(service: JobsService) -> None:
        job = await service.submit(
            model="pulse",
            options={"language": "en"},
            audio=CLIP,
            webhook_url=receiver.url + "?token=abc",
            webhook_method="get",
            webhook_extra={"customer": "acme"},
        )
        await _final(service, job.request_id, {JobStatus.DELIVERED})
        (hit,) = receiver.hits
        assert hit.method == "GET" and hit.body == b""
        query = receiver.query(hit)
        assert query["token"] == "abc" and query["customer"] == "acme"
        assert query["request_id"] == job.request_id and query["status"] == "success"
        assert json.loads(query["metadata"])["num_chunks"] == 1
        assert receiver.signature_ok(hit)

    run(tmp_path, scenario)


def test_get_drops_bulky_fields_when_url_too_long(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async def scenario(service: JobsService) -> None:
        job = await service.submit(
            model="pulse-pro", options={}, audio=CLIP, webhook_url=receiver.url, webhook_method="GET"
        )
        await _final(service, job.request_id, {JobStatus.DELIVERED})
        query = receiver.query(receiver.hits[0])
        assert query["truncated"] == "true" and "words" not in query
        assert query["request_id"] == job.request_id
        assert len(receiver.hits[0].query) < 2000

    run(tmp_path, scenario, max_get_url_bytes=2000)


def test_retries_after_500s_then_success(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async def scenario(service: JobsService) -> None:
        job = await service.submit(model="pulse-pro", options={}, audio=CLIP, webhook_url=receiver.url, request_id=rid)
        done = await _final(service, job.request_id, {JobStatus.DELIVERED})
        assert done.delivery_attempts == 4
        assert [h.status for h in receiver.hits] == [500, 503, 429, 200]
        assert [h.headers["x-pulse-delivery-attempt"] for h in receiver.hits] == ["1", "2", "3", "4"]
        assert receiver.delivered() == {rid: 1}

    rid = "0b6f1c9e-3d2a-4f57-9a61-2c4d8e7f1a30"
    receiver.script[rid] = [500, 503, 429]
    receiver.retry_after = "0"
    run(tmp_path, scenario)


def test_gives_up_after_max_attempts(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async def scenario(service: JobsService) -> None:
        await service.submit(model="pulse-pro", options={}, audio=CLIP, webhook_url=receiver.url, request_id=rid)
        record = await _final(service, rid, {JobStatus.DELIVERY_FAILED})
        assert record.delivery_attempts == 3 and record.delivery_error == "receiver answered HTTP 502"
        assert record.result is not None  # the result survives for polling
        assert len(receiver.hits) == 3

    rid = "5e0c2b7a-8d14-4c3f-b6e2-91a7f0d3c455"
    receiver.script[rid] = [502] * 10
    run(tmp_path, scenario, max_attempts=3)


def test_client_error_is_permanent(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async def scenario(service: JobsService) -> None:
        await service.submit(model="pulse-pro", options={}, audio=CLIP, webhook_url=receiver.url, request_id=rid)
        record = await _final(service, rid, {JobStatus.DELIVERY_FAILED})
        assert record.delivery_attempts == 1 and "HTTP 410" in (record.delivery_error or "")

    rid = "11111111-2222-3333-4444-555555555555"
    receiver.script[rid] = [410]
    run(tmp_path, scenario)


def test_processing_failure_is_called_back(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async def broken(job: JobRecord) -> dict[str, Any]:
        raise JobError("audio could not be decoded: not a supported container")

    async def scenario(service: JobsService) -> None:
        job = await service.submit(
            model="pulse-pro", options={}, audio=b"not audio", webhook_url=receiver.url, webhook_extra={"k": "v"}
        )
        record = await _final(service, job.request_id, {JobStatus.DELIVERED})
        assert record.error and record.attempts == 1
        body = json.loads(receiver.hits[0].body)
        assert body == {"status": "failed", "request_id": job.request_id, "error": record.error, "k": "v"}

    run(tmp_path, scenario, process=broken)


def test_polling_shows_state_then_result(tmp_path: Path) -> None:
    gate = asyncio.Event()

    async def gated(job: JobRecord) -> dict[str, Any]:
        await gate.wait()
        return await describe_audio(job)

    async def scenario(service: JobsService) -> None:
        job = await service.submit(model="pulse-pro", options={"language": "en"}, audio=CLIP)
        running = await _final(service, job.request_id, {JobStatus.RUNNING})
        assert "result" not in running.public_view()
        gate.set()
        done = await _final(service, job.request_id, {JobStatus.DONE})
        view = done.public_view()
        assert view["status"] == "done" and view["result"]["request_id"] == job.request_id
        assert "webhook" not in view

    if not CLIP.exists():
        pytest.skip("shared data missing")
    run(tmp_path, scenario, process=gated)


def test_refuses_private_webhook_url(tmp_path: Path) -> None:
    async def scenario(service: JobsService) -> None:
        for url in ("http://169.254.169.254/hook", "http://[::1]/hook", "http://10.0.0.5/hook", "ftp://x/hook"):
            with pytest.raises(UrlRefused):
                await service.submit(model="pulse-pro", options={}, audio=b"x", webhook_url=url)
        assert service.store.counts() == {}

    run(tmp_path, scenario)


def test_parse_webhook_extra() -> None:
    assert parse_webhook_extra(None) == {} and parse_webhook_extra(" ") == {}
    assert parse_webhook_extra("a:1, b : two ,url:http://x:8/y") == {"a": "1", "b": "two", "url": "http://x:8/y"}
    for bad in ("novalue", "a:1,a:2", "status:x", ":v", "bad key:v"):
        with pytest.raises(WebhookExtraError):
            parse_webhook_extra(bad)


def test_signature_verification() -> None:
    now = int(time.time())
    body = b'{"status":"success"}'
    header = sign(SECRET, now, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(SECRET, str(now), body, header)
    assert not verify_signature(SECRET, str(now), body + b" ", header)
    assert not verify_signature("other", str(now), body, header)
    assert not verify_signature(SECRET, str(now - 3600), body, sign(SECRET, now - 3600, body), tolerance_s=300)
    assert not verify_signature(SECRET, "yesterday", body, header)
