"""kill -9 of the real server while a receiver holds its 200 and while a job runs: counted, bounded, truthful."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import JFK, load_pcm, write_wav
from tests.support.loopback import wait_until
from tests.support.reliability.common import launch
from tests.support.reliability.kill import FAST_START, HoldingReceiver, job_status, sigkill, submit

pytestmark = pytest.mark.slow


def test_kill_while_receiver_holds_200_and_while_job_runs(tmp_path: Path) -> None:
    short = tmp_path / "jfk.wav"
    write_wav(load_pcm(JFK), short)
    long = write_wav(np.concatenate([load_pcm(JFK)] * 3), tmp_path / "jfk3.wav")  # ~33 s: still running at the kill
    data_dir = tmp_path / "data"
    with HoldingReceiver(hold_probability=1.0, hold_s=4.0, rng=random.Random(0)) as receiver:
        first = launch(tmp_path, "first", overrides=FAST_START, data_dir=data_dir)
        try:
            held = submit(first, receiver, short, None)
            running = submit(first, receiver, long, None)
            assert held and running
            assert receiver.holding.wait(timeout=120), "the first job's callback never arrived"
            before = job_status(first, running)
        finally:
            sigkill(first)
        assert before is not None and before["status"] == "running"
        assert [rid for _, rid, _ in receiver.arrivals] == [held]
        second = launch(tmp_path, "second", overrides=FAST_START, data_dir=data_dir)
        try:
            assert wait_until(
                lambda: all((job_status(second, i) or {}).get("status") == "delivered" for i in (held, running)),
                timeout_s=240,
                step_s=0.5,
            )
            wait_until(lambda: False, timeout_s=1.0)  # room for a stray duplicate
            posts = receiver.by_job()
            held_status, running_status = job_status(second, held), job_status(second, running)
        finally:
            second.stop()
    assert held_status is not None and running_status is not None
    # The kill cut the held callback: exactly one re-send, and the status counts both POSTs.
    assert [attempt for _, attempt in posts[held]] == [1, 2]
    assert held_status["webhook"]["attempts"] == 2 and held_status["attempts"] == 1
    # The kill cut the running job: it ran again, but no processing attempt was burned.
    assert len(posts[running]) == 1
    assert running_status["attempts"] == 1 and running_status["interruptions"] == 1

