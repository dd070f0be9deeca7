"""The live decode scheduler with a stub decoder: which requests share a call, in which order, what is shed.

No model runs here: the stub records the batches it is handed, and a gate holds the first call so a
test can queue work behind it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np

from models.streaming.config import LiveServerConfig
from models.streaming.decoder import DecodeRequest
from models.streaming.scheduler import DecodeScheduler
from tests.support.live_streaming import StubBatchDecoder

SR = 16000

def request(name: str, final: bool, seconds: float = 2.0, greedy: bool = False) -> DecodeRequest:
    return DecodeRequest(np.zeros(int(seconds * SR), np.float32), "en", prompt=name, final=final, greedy=greedy)


def run_scheduler(body: Callable[[DecodeScheduler, StubBatchDecoder, threading.Event], object],
                  **config: object) -> StubBatchDecoder:
    gate = threading.Event()
    decoder = StubBatchDecoder(gate)

    async def go() -> None:
        scheduler = DecodeScheduler(LiveServerConfig(**{"decode_workers": 1, "gather_ms": 20, **config}))  # type: ignore[arg-type]
        await body(scheduler, decoder, gate)  # type: ignore[misc]
        scheduler.shutdown()

    asyncio.run(go())
    return decoder


def test_finals_due_together_share_one_call_and_go_before_partials() -> None:
    async def body(scheduler: DecodeScheduler, decoder: StubBatchDecoder, gate: threading.Event) -> None:
        running = asyncio.ensure_future(scheduler.run_final("a", decoder, request("running", True)))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        partial = asyncio.ensure_future(scheduler.run_partial("b", decoder, request("partial-b", False)))  # type: ignore[arg-type]
        spec = asyncio.ensure_future(scheduler.run_partial(  # type: ignore[arg-type]
            "a#prefinal", decoder, request("spec-a", True, greedy=True), droppable=False))
        finals = [asyncio.ensure_future(scheduler.run_final(k, decoder, request(f"final-{k}", True)))  # type: ignore[arg-type]
                  for k in "cde"]
        await asyncio.sleep(0.01)
        scheduler.promote("a#prefinal")
        gate.set()
        results = await asyncio.gather(running, partial, spec, *finals)
        assert [r.text for r in results] == ["running", "partial-b", "spec-a", "final-c", "final-d", "final-e"]

    decoder = run_scheduler(body)
    # Beam-search finals batch together; the promoted greedy speculative decode goes next (finals
    # lane) without the greedy partial: a final waits on it.
    assert decoder.batches == [["running"], ["final-c", "final-d", "final-e"], ["spec-a"], ["partial-b"]]


def test_partials_run_apart_from_speculative_finals_and_few_at_a_time() -> None:
    async def body(scheduler: DecodeScheduler, decoder: StubBatchDecoder, gate: threading.Event) -> None:
        running = asyncio.ensure_future(scheduler.run_final("a", decoder, request("running", True)))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        partials = [asyncio.ensure_future(scheduler.run_partial(k, decoder, request(f"p-{k}", False)))  # type: ignore[arg-type]
                    for k in "bcde"]
        spec = asyncio.ensure_future(scheduler.run_partial(  # type: ignore[arg-type]
            "f#prefinal", decoder, request("spec-f", True, greedy=True), droppable=False))
        await asyncio.sleep(0.01)
        gate.set()
        await asyncio.gather(running, spec, *partials)

    decoder = run_scheduler(body, max_partial_batch=3)
    # Same beam size, yet the speculative decode a final may wait on runs without the partials,
    # and the partials go at most three to a call.
    assert decoder.batches == [["running"], ["spec-f"], ["p-b", "p-c", "p-d"], ["p-e"]]


def test_a_final_does_not_wait_for_a_running_partial_call_with_two_workers() -> None:
    async def body(scheduler: DecodeScheduler, decoder: StubBatchDecoder, gate: threading.Event) -> None:
        partial = asyncio.ensure_future(scheduler.run_partial("a", decoder, request("partial-a", False)))  # type: ignore[arg-type]
        await asyncio.sleep(0.1)  # the partial's call is running (held by the gate)
        final = await asyncio.wait_for(scheduler.run_final("b", decoder, request("final-b", True)), 5)  # type: ignore[arg-type]
        assert final.text == "final-b" and not partial.done()
        gate.set()
        assert (await partial).text == "partial-a"  # type: ignore[union-attr]

    assert run_scheduler(body, decode_workers=2).batches == [["final-b"], ["partial-a"]]  # in order of completion


def test_max_batch_one_runs_each_request_alone() -> None:
    async def body(scheduler: DecodeScheduler, decoder: StubBatchDecoder, gate: threading.Event) -> None:
        gate.set()
        await asyncio.gather(*(scheduler.run_final(k, decoder, request(k, True)) for k in "abc"))  # type: ignore[arg-type]

    assert run_scheduler(body, max_batch=1).batches == [["a"], ["b"], ["c"]]


def test_a_short_window_does_not_join_a_long_one() -> None:
    async def body(scheduler: DecodeScheduler, decoder: StubBatchDecoder, gate: threading.Event) -> None:
        gate.set()
        await asyncio.gather(scheduler.run_final("a", decoder, request("long", True, 25.0)),  # type: ignore[arg-type]
                             scheduler.run_final("b", decoder, request("short", True, 1.0)),  # type: ignore[arg-type]
                             scheduler.run_final("c", decoder, request("long2", True, 22.0)))  # type: ignore[arg-type]

    assert run_scheduler(body).batches == [["long", "long2"], ["short"]]


def test_partials_are_shed_while_finals_wait() -> None:
    async def body(scheduler: DecodeScheduler, decoder: StubBatchDecoder, gate: threading.Event) -> None:
        running = asyncio.ensure_future(scheduler.run_final("a", decoder, request("running", True)))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        stale = asyncio.ensure_future(scheduler.run_partial("b", decoder, request("stale", False)))  # type: ignore[arg-type]
        waiting = asyncio.ensure_future(scheduler.run_final("c", decoder, request("waiting", True)))  # type: ignore[arg-type]
        assert not scheduler.behind()
        await asyncio.sleep(0.15)
        assert scheduler.behind()  # a final waited longer than shed_partials_after_seconds
        gate.set()
        assert await stale is None  # older than partial_max_age_seconds when a worker came free
        await asyncio.gather(running, waiting)
        assert scheduler.stats.partials_dropped == 1 and not scheduler.behind()

    run_scheduler(body, shed_partials_after_seconds=0.1, partial_max_age_seconds=0.1)


def test_a_session_keeps_one_waiting_partial() -> None:
    async def body(scheduler: DecodeScheduler, decoder: StubBatchDecoder, gate: threading.Event) -> None:
        running = asyncio.ensure_future(scheduler.run_final("a", decoder, request("running", True)))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        first = asyncio.ensure_future(scheduler.run_partial("b", decoder, request("old", False)))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        second = asyncio.ensure_future(scheduler.run_partial("b", decoder, request("new", False)))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        assert scheduler.queued == 1
        gate.set()
        assert await first is None
        assert (await second).text == "new"  # type: ignore[union-attr]
        await running

    run_scheduler(body)
