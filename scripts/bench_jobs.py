#!/usr/bin/env python
"""Async jobs benchmark: jobs accepted per second, and end-to-end webhook delivery for 100 queued short files.

Acceptance = `JobsService.submit` (audio written and fsynced, job row committed), sequential and with
concurrent submitters, for SQLite `synchronous=FULL` and `NORMAL`. Delivery = 100 real short clips
queued, then the worker pool started: processing (`--process asr`: the real pulse-pro pipeline;
`echo`: no model, machinery only) plus a signed POST to a webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.benchlib import DATA, REPO, machine, manifest, percentile, write_section  # noqa: E402
from server.jobs.config import JobsConfig  # noqa: E402
from server.jobs.records import JobRecord  # noqa: E402
from server.jobs.worker import JobsService, ProcessFn  # noqa: E402
from tests.support.loopback import WebhookReceiver  # noqa: E402

SECTION = "jobs"
SECRET = "bench-secret"


def short_clips(count: int) -> list[Path]:
    rows = sorted(manifest("asr_en.jsonl"), key=lambda r: r["duration"])
    paths = [DATA / r["audio"] for r in rows[:20]]
    return [paths[i % len(paths)] for i in range(count)]


def jobs_config(data_dir: Path, synchronous: str, concurrency: int) -> JobsConfig:
    config = JobsConfig()
    config.store.data_dir = data_dir
    config.store.sqlite_synchronous = synchronous
    config.webhook.secret = SECRET
    config.fetch.allow = ["127.0.0.1/32"]
    config.worker.concurrency = concurrency
    config.worker.poll_interval_s = 0.05
    return config


async def echo(job: JobRecord) -> dict[str, Any]:
    assert job.audio_path is not None
    size = job.audio_path.stat().st_size
    return {"status": "success", "transcription": "", "words": [], "totalBytes": size, "request_id": job.request_id}


def asr_process() -> ProcessFn:
    from models.languages import plan_language
    from models.pipeline import TranscribeOptions, transcribe_file
    from models.registry import ModelRegistry
    from server.config import load_config
    from server.schemas import pulse_pro_response

    registry = ModelRegistry.load(load_config(REPO / "configs" / "default.yaml"), REPO / ".cache")
    model = registry.get("pulse-pro")
    assert model is not None
    plan = plan_language("en", model.engine.supported_languages, model.config.english_only)

    async def process(job: JobRecord) -> dict[str, Any]:
        assert job.audio_path is not None
        path = job.audio_path

        def run() -> Any:
            with open(path, "rb") as source:
                return transcribe_file(model, source, TranscribeOptions(language=plan))

        result = await asyncio.to_thread(run)
        size = path.stat().st_size
        return pulse_pro_response(result.transcript, size, False, result.processing_seconds, job.request_id)

    return process


async def acceptance(clips: list[Path], synchronous: str, parallel: int) -> float:
    """Jobs accepted per second with `parallel` concurrent submitters (workers not started)."""
    payloads = [p.read_bytes() for p in clips]
    with tempfile.TemporaryDirectory() as tmp:
        service = JobsService(jobs_config(Path(tmp), synchronous, 1), echo)
        work: asyncio.Queue[bytes] = asyncio.Queue()
        for data in payloads:
            work.put_nowait(data)

        async def submitter() -> None:
            while not work.empty():
                data = work.get_nowait()
                await service.submit(model="pulse-pro", options={"language": "en"}, audio=data, suffix=".flac",
                                     webhook_url="http://127.0.0.1:9/hook")  # fmt: skip

        started = time.perf_counter()
        await asyncio.gather(*(submitter() for _ in range(parallel)))
        elapsed = time.perf_counter() - started
        service.close()
    return len(payloads) / elapsed


async def delivery(clips: list[Path], process: ProcessFn, concurrency: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver(SECRET) as receiver:
        service = JobsService(jobs_config(Path(tmp), "FULL", concurrency), process)
        created: dict[str, float] = {}
        for clip in clips:
            job = await service.submit(model="pulse-pro", options={"language": "en"}, audio=clip,
                                       suffix=clip.suffix, webhook_url=receiver.url)  # fmt: skip
            created[job.request_id] = time.time()
        started = time.time()
        await service.start()
        deadline = time.monotonic() + 3600
        while len(receiver.delivered()) < len(clips) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        finished = time.time()
        await service.stop()
        service.close()
        first_hit = {}
        for hit in receiver.hits:
            first_hit.setdefault(hit.headers["x-pulse-request-id"], hit.received_at)
        assert len(first_hit) == len(clips), f"only {len(first_hit)} of {len(clips)} delivered"
        assert all(receiver.signature_ok(h) for h in receiver.hits)
        waits = [first_hit[rid] - started for rid in created]
    return {
        "total_s": finished - started,
        "per_job_ms": (finished - started) / len(clips) * 1000,
        "p50_s": percentile(waits, 50),
        "p95_s": percentile(waits, 95),
        "max_s": max(waits),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accept-jobs", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--process", choices=["echo", "asr", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=1, help="processing workers for the delivery run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    accept_clips = short_clips(args.accept_jobs)
    rows = ["| SQLite synchronous | submitters | jobs accepted / s |", "|---|---|---|"]
    for synchronous in ("FULL", "NORMAL"):
        for parallel in (1, 8):
            rate = await acceptance(accept_clips, synchronous, parallel)
            print(f"accept  synchronous={synchronous:6s} submitters={parallel}: {rate:8.1f} jobs/s")
            rows.append(f"| {synchronous} | {parallel} | {rate:.0f} |")

    clips = short_clips(args.jobs)
    audio_s = sum(r["duration"] for r in sorted(manifest("asr_en.jsonl"), key=lambda r: r["duration"])[:20])
    audio_total = audio_s * args.jobs / 20
    drows = ["| processing | jobs | workers | total s | ms / job | first delivery wait p50 / p95 / max s |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    kinds = ["echo", "asr"] if args.process == "both" else [args.process]
    for kind in kinds:
        process = echo if kind == "echo" else asr_process()
        figures = await delivery(clips, process, args.concurrency)
        print(f"deliver process={kind}: {args.jobs} jobs in {figures['total_s']:.1f} s "
              f"({figures['per_job_ms']:.0f} ms/job), wait p50 {figures['p50_s']:.1f} s, "
              f"p95 {figures['p95_s']:.1f} s, max {figures['max_s']:.1f} s")  # fmt: skip
        drows.append(
            f"| {kind} | {args.jobs} | {args.concurrency} | {figures['total_s']:.1f} | {figures['per_job_ms']:.0f} | "
            f"{figures['p50_s']:.1f} / {figures['p95_s']:.1f} / {figures['max_s']:.1f} |"
        )

    body = f"""## Async jobs and webhooks (`scripts/bench_jobs.py`)

Machine: {machine()}.

Acceptance: `JobsService.submit` of {args.accept_jobs} short FLAC clips (audio written and fsynced, job
committed) with the workers stopped, i.e. the work behind an async `200 {{"status":"processing"}}`.

{chr(10).join(rows)}

End-to-end: {args.jobs} short clips from `asr_en` (the 20 shortest, cycled; {audio_total:.0f} s of audio)
queued first, then the pool started; time until every signed POST reached a receiver on 127.0.0.1.
`echo` has no model (queue, lease, result commit, signing, delivery only); `asr` runs the real
`pulse-pro` pipeline (embedded default weights, CPU int8).

{chr(10).join(drows)}
"""
    if not args.no_write:
        write_section(SECTION, body)
        print("wrote section", SECTION, "to docs/benchmarks.md")


if __name__ == "__main__":
    asyncio.run(main())
