"""Live session engine without a server: finals from whole-audio decodes, pause sealing, speculative reuse.

Drives `LiveSession` with the real `pulse` model and real clips; decodes run synchronously, so what
is checked is the policy (which audio each final decodes), never timing.
"""

from __future__ import annotations

from pathlib import Path

import jiwer
import numpy as np
import pytest
from whisper_normalizer.english import EnglishTextNormalizer

from models.asr import WhisperEngine
from models.streaming.config import SessionConfig, VadConfig
from models.streaming.decoder import DecodeResult, LiveDecoder, clip_prompt
from models.streaming.jobs import DecodeJob, FinalSegment
from models.streaming.session import LiveSession, SessionOptions
from models.streaming.vad import StreamingVad
from server.config import load_config
from tests.helpers import DATA, JFK, REPO, load_pcm, manifest

CHUNK = 1600  # 100 ms feeds
CLIP = DATA / "asr_en" / "ljspeech_LJ001-0002.flac"  # "in being comparatively modern." (1.9 s)
NORMALISE = EnglishTextNormalizer()


@pytest.fixture(scope="module")
def decoder() -> LiveDecoder:
    config = load_config(REPO / "configs" / "default.yaml")
    from models.streaming.config import live_model_config  # noqa: PLC0415

    engine = WhisperEngine("pulse", config.models["pulse"], REPO / ".cache")
    return LiveDecoder(engine, live_model_config(config.models["pulse"].live).decoder)


def reference(path: Path) -> str:
    return next(row["text"] for row in manifest("asr_en.jsonl") if row["audio"].endswith(path.name))


def new_session(**options: object) -> LiveSession:
    return LiveSession(SessionConfig(), SessionOptions(language="en", **options), StreamingVad(VadConfig()))  # type: ignore[arg-type]


def run(decoder: LiveDecoder, session: LiveSession, job: DecodeJob) -> DecodeResult | None:
    if job.audio is None:
        return None
    greedy = job.kind == "prefinal" and decoder.config.greedy_speculative
    return decoder.decode(job.audio, language="en", prompt=job.prompt, final=True, greedy=greedy)


def stream(decoder: LiveDecoder, session: LiveSession, pcm: np.ndarray) -> tuple[list[FinalSegment], list[DecodeJob]]:
    """Feed `pcm` in 100 ms chunks, doing what the runner does with speculative decodes; finalize at the end."""
    finals: list[FinalSegment] = []
    jobs: list[DecodeJob] = []
    pending: tuple[DecodeJob, DecodeResult] | None = None
    for start in range(0, pcm.size, CHUNK):
        session.feed(pcm[start : start + CHUNK])
        if pending is not None and (not session.prefinal_current(pending[0]) or session.seal(*pending)):
            pending = None
        reason = session.auto_final_reason()
        if reason:
            job = session.final_job(reason)
            reuse = pending is not None and pending[0].key == job.key
            jobs.append(job)
            finals.append(session.apply_final(job, pending[1] if reuse else run(decoder, session, job)))
            pending = None
        prefinal = session.prefinal_job()
        if prefinal is not None:
            result = run(decoder, session, prefinal)
            pending = (prefinal, result) if result is not None else None
    job = session.final_job("finalize")
    jobs.append(job)
    finals.append(session.apply_final(job, run(decoder, session, job)))
    return [f for f in finals if f.words], jobs


@pytest.mark.slow
def test_pauses_are_sealed_and_the_final_is_close_to_the_reference(decoder: LiveDecoder) -> None:
    """JFK pauses between phrases: words before each pause are sealed once, the final decodes only the rest."""
    pcm = load_pcm(JFK)
    session = new_session(endpointing=False, eou_timeout_ms=10000)
    finals, jobs = stream(decoder, session, pcm)
    assert len(finals) == 1
    assert jobs[-1].sealed, "no pause was sealed"
    assert jobs[-1].start_sample > 0  # the final decoded only the audio after the last sealed pause
    words = finals[0].words
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    keys = [NORMALISE(w.word) for w in words]
    assert all(a != b for a, b in zip(keys, keys[1:], strict=False) if a), "a word is doubled at a join"
    error = jiwer.wer(NORMALISE(reference(JFK)), NORMALISE(finals[0].text))
    assert error <= 0.15


def test_endpointing_final_reuses_the_speculative_decode_of_its_pause() -> None:
    """Speech, then silence: one speculative job per pause, and the endpointing final asks for the same decode."""
    pcm = np.concatenate([load_pcm(CLIP), np.zeros(16000, np.float32)])
    session = new_session(endpointing_ms=600)
    prefinals: list[DecodeJob] = []
    final: DecodeJob | None = None
    for start in range(0, pcm.size, CHUNK):
        session.feed(pcm[start : start + CHUNK])
        if session.auto_final_reason() == "endpointing":
            final = session.final_job("endpointing")
            break
        job = session.prefinal_job()
        if job is not None:
            prefinals.append(job)
            assert session.partial_job() is None  # partials pause while the final's decode is speculated
    assert final is not None and len(prefinals) == 1
    assert prefinals[0].key == final.key
    assert final.audio is not None and final.audio.size == prefinals[0].audio.size  # type: ignore[union-attr]


@pytest.mark.slow
def test_word_count_final_cuts_at_a_sealed_pause(decoder: LiveDecoder) -> None:
    """`max_words` with sealed words: the cut lands on the pause, so no word is split or repeated."""
    pcm = load_pcm(JFK)
    session = new_session(endpointing=False, eou_timeout_ms=10000)
    pending: tuple[DecodeJob, DecodeResult] | None = None
    finals: list[FinalSegment] = []
    for start in range(0, pcm.size, CHUNK):
        session.feed(pcm[start : start + CHUNK])
        if not finals and pending is not None and session.seal(*pending):
            job = session.final_job("max_words")
            assert job.sealed and job.cut_sample == pending[0].end_sample
            finals.append(session.apply_final(job, run(decoder, session, job)))
        job = session.prefinal_job()
        if job is not None:
            result = run(decoder, session, job)
            pending = (job, result) if result is not None else None
    assert finals, "speech never resumed after a pause"
    rest = session.final_job("finalize")
    finals.append(session.apply_final(rest, run(decoder, session, rest)))
    joined = NORMALISE(" ".join(f.text for f in finals))
    assert jiwer.wer(NORMALISE(reference(JFK)), joined) <= 0.15


def test_clip_prompt_keeps_the_most_recent_whole_words() -> None:
    assert clip_prompt("alpha beta gamma", 100) == "alpha beta gamma"
    assert clip_prompt("alpha beta gamma", 11) == "beta gamma"
    assert clip_prompt("alpha beta gamma", 10) == "beta gamma"
    assert clip_prompt("alpha beta gamma", 9) == "gamma"
    assert clip_prompt("alphabetagamma", 5) == "gamma"


def test_scheduler_counts_waiting_finals_and_promotes_a_speculative_job() -> None:
    """A final waits behind a running decode; a promoted partial-lane job then runs before other partials."""
    import asyncio  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from models.streaming.scheduler import DecodeScheduler  # noqa: PLC0415

    async def go() -> list[str]:
        scheduler = DecodeScheduler(workers=1, partial_max_age_seconds=60.0)
        gate = threading.Event()
        order: list[str] = []

        def work(name: str, wait: bool = False):  # type: ignore[no-untyped-def]
            def fn() -> str:
                if wait:
                    gate.wait(30)
                order.append(name)
                return name
            return fn

        running = asyncio.ensure_future(scheduler.run_final("a", work("running", wait=True)))
        await asyncio.sleep(0)
        other = asyncio.ensure_future(scheduler.run_partial("b", work("partial-b")))
        speculative = asyncio.ensure_future(scheduler.run_partial("a#prefinal", work("speculative-a")))
        waiting = asyncio.ensure_future(scheduler.run_final("c", work("final-c")))
        await asyncio.sleep(0)
        assert scheduler.finals_waiting == 1
        scheduler.promote("a#prefinal")
        assert scheduler.finals_waiting == 2
        gate.set()
        await asyncio.gather(running, other, speculative, waiting)
        scheduler.shutdown()
        return order

    assert asyncio.run(go()) == ["running", "final-c", "speculative-a", "partial-b"]
