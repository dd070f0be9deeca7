"""Pre-recorded decodes in a child process that live finals stop (models/forward_process.py, models/pause_gate.py).

Real processes and signals (the kernel's view of them read from /proc), the real tiny.en weights, and a real
server whose live finals stop a long file's decode process and let it go on.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from models.asr import WhisperEngine
from models.audio import decode_audio
from models.batching import WindowBatcher, WindowKey
from models.forward_process import ForwardProcessError, ForwardSpec, ProcessForward
from models.pause_gate import PauseGate
from tests.helpers import DATA, JFK, REPO, ServerProcess, load_pcm, manifest, process_tree, start_server, wer, write_wav
from tests.support.engines import default_engine
from tests.support.live import connect, pcm16, send_audio, url

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="/proc and job-control signals")]


def state(pid: int) -> str:
    """The kernel's one-letter state of `pid` (T = stopped)."""
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    yield process
    process.kill()
    process.wait()


def test_the_gate_stops_a_process_while_any_hold_is_open(sleeper: subprocess.Popen) -> None:
    gate = PauseGate(max_hold_seconds=60)
    gate.register(lambda: sleeper.pid)
    gate.register(lambda: None)  # a forward whose child is being started again: skipped
    assert state(sleeper.pid) != "T"
    gate.hold()
    assert state(sleeper.pid) == "T"
    gate.hold()  # a second final while the first decodes
    gate.release()
    assert state(sleeper.pid) == "T"
    gate.release()
    assert wait_for(lambda: state(sleeper.pid) != "T")
    assert gate.pauses == 1 and gate.paused_seconds > 0
    gate.close()


def test_a_stop_never_outlasts_its_limit(sleeper: subprocess.Popen) -> None:
    gate = PauseGate(max_hold_seconds=0.3)
    gate.register(lambda: sleeper.pid)
    gate.hold()
    assert state(sleeper.pid) == "T"
    assert wait_for(lambda: state(sleeper.pid) != "T", timeout=10), "still stopped after the limit"
    gate.hold()  # finals keep coming: the file runs beside them until they all end
    time.sleep(0.1)
    assert state(sleeper.pid) != "T"
    gate.release()
    gate.release()
    gate.hold()  # a new run of finals stops it again
    assert state(sleeper.pid) == "T"
    gate.release()
    assert wait_for(lambda: state(sleeper.pid) != "T")
    gate.close()


def test_a_gate_without_a_limit_never_stops_anything(sleeper: subprocess.Popen) -> None:
    gate = PauseGate(max_hold_seconds=0)
    gate.register(lambda: sleeper.pid)
    gate.hold()
    time.sleep(0.1)
    assert state(sleeper.pid) != "T" and gate.pauses == 0
    gate.release()


@pytest.fixture(scope="module")
def engine() -> Iterator[WhisperEngine]:
    engine = default_engine("pulse-pro")  # tiny.en: the cheaper of the two embedded weights
    assert engine.forward_process is not None, "configs/default.yaml decodes pre-recorded windows in a child"
    yield engine
    engine.batcher.close()


@pytest.fixture(scope="module")
def clips() -> list[tuple[str, np.ndarray]]:
    rows = [r for r in manifest("asr_en.jsonl") if 3.0 <= r["duration"] <= 12.0][:3]
    return [(r["text"], decode_audio(str(DATA / r["audio"]))) for r in rows]


def text_of(segments: list) -> str:
    return " ".join(s.text.strip() for s in segments)


def test_windows_decoded_in_the_child_read_as_in_this_process(
    engine: WhisperEngine, clips: list[tuple[str, np.ndarray]]
) -> None:
    key = WindowKey("en", engine.config.batch.beam_size)
    here = WindowBatcher(engine.decoding_model, batch_size=1, gather_ms=0, name="here")
    try:
        for reference, audio in clips:
            child, local = engine.batcher.decode(key, [audio])[0], here.decode(key, [audio])[0]
            assert wer(reference, text_of(child)) <= 0.25, (reference, text_of(child))
            assert wer(text_of(local), text_of(child)) <= 0.1
            starts = [w["start"] for s in child for w in s.words]
            other = [w["start"] for s in local for w in s.words]
            assert starts and starts == sorted(starts)
            if len(starts) == len(other):
                assert max(abs(a - b) for a, b in zip(starts, other, strict=True)) <= 0.2
    finally:
        here.close()


def test_windows_batched_in_the_child_read_as_one_by_one(
    engine: WhisperEngine, clips: list[tuple[str, np.ndarray]]
) -> None:
    """Several windows in one call generate on the child's two-thread instance: the same text as one by one."""
    key = WindowKey("en", engine.config.batch.beam_size)
    calls = engine.batcher.calls
    together = engine.batcher.decode(key, [audio for _, audio in clips])  # queued at once: one batched call
    assert engine.batcher.calls == calls + 1
    for (reference, audio), segments in zip(clips, together, strict=True):
        alone = engine.batcher.decode(key, [audio])[0]
        assert wer(reference, text_of(segments)) <= 0.25, (reference, text_of(segments))
        assert wer(text_of(alone), text_of(segments)) <= 0.1


def test_a_stopped_child_holds_its_work_until_the_final_is_done(
    engine: WhisperEngine, clips: list[tuple[str, np.ndarray]]
) -> None:
    process = engine.forward_process
    assert process is not None and process.pid is not None
    gate = PauseGate(max_hold_seconds=120)
    gate.register(lambda: process.pid)
    reference, audio = clips[0]
    gate.hold()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(engine.batcher.decode, WindowKey("en", 1), [audio])
        time.sleep(1.0)
        assert state(process.pid) == "T" and not future.done()
        gate.release()
        segments = future.result(timeout=300)[0]
    assert wer(reference, text_of(segments)) <= 0.25


def test_a_killed_child_is_started_again_and_the_call_retried(
    engine: WhisperEngine, clips: list[tuple[str, np.ndarray]]
) -> None:
    process = engine.forward_process
    assert process is not None
    killed, restarts = process.pid, process.restarts
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    assert wait_for(lambda: process.pid is None)
    reference, audio = clips[1]
    segments = engine.batcher.decode(WindowKey("en", 1), [audio])[0]
    assert wer(reference, text_of(segments)) <= 0.25
    assert process.restarts == restarts + 1 and process.pid not in (None, killed)


def test_weights_that_do_not_load_stop_start_up_with_the_reason(tmp_path: Path) -> None:
    spec = ForwardSpec(str(tmp_path), "cpu", "int8", 1, None, 1, 0, False)  # an empty directory
    with pytest.raises(ForwardProcessError, match="failed to load"):
        ProcessForward(spec, "broken").wait_ready()


def test_decode_processes_end_with_a_killed_server(tmp_path: Path) -> None:
    server = start_server(REPO / "configs" / "default.yaml", tmp_path / "server.log")
    try:
        children = process_tree(server.process.pid)[1:]
        assert len(children) >= 2, "pulse and pulse-pro each decode in a child process"
        server.process.kill()  # no shutdown at all: the kernel ends the children (PR_SET_PDEATHSIG)
        server.process.wait()
        assert wait_for(lambda: not any(Path(f"/proc/{pid}").exists() and state(pid) != "Z" for pid in children))
    finally:
        server.stop()


def gate_pauses(server: ServerProcess) -> float:
    text = httpx.get(f"{server.base_url}/metrics", headers=server.auth, timeout=30).text
    return float(next(line.split()[-1] for line in text.splitlines() if line.startswith("pulse_prerecorded_pauses_total")))


def test_live_finals_stop_a_running_file_and_both_come_back_whole(server: ServerProcess, tmp_path: Path) -> None:
    rows = [r for r in manifest("asr_en.jsonl") if r["audio"].startswith("asr_en/ljspeech")][:6]
    pieces = [decode_audio(str(DATA / r["audio"])) for r in rows]
    gap = np.zeros(8000, dtype=np.float32)
    rounds = 4  # the file is several minutes of speech: it is still decoding while the live finals come
    body = write_wav(np.concatenate([x for _ in range(rounds) for p in pieces for x in (p, gap)]),
                     tmp_path / "long.wav").read_bytes()
    reference = " ".join(r["text"] for _ in range(rounds) for r in rows)
    jfk = pcm16(load_pcm(JFK))
    said = next(r["text"] for r in manifest("asr_en.jsonl") if r["audio"].endswith(JFK.name))
    before = gate_pauses(server)

    async def final() -> str:
        async with connect(server, url(server)) as ws:
            await send_audio(ws, jfk)
            await ws.send(json.dumps({"type": "finalize"}))
            heard: list[str] = []  # the session's finals: sealed pauses, then the one for `finalize`
            async with asyncio.timeout(300):
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("is_final"):
                        heard.append(message["transcript"])
                        if message.get("from_finalize"):
                            return " ".join(heard)
        raise AssertionError("the session ended without its final")

    async def main() -> tuple[httpx.Response, list[str], int]:
        async with httpx.AsyncClient(timeout=1800, headers=server.auth) as client:
            upload = asyncio.create_task(client.post(f"{server.base_url}/waves/v1/stt/",
                                                     params={"model": "pulse", "language": "en"}, content=body))
            await asyncio.sleep(2.0)
            finals, during = [], 0
            while not upload.done() and len(finals) < 3:
                finals.append(await final())
                during += not upload.done()
            return await upload, finals, during

    response, finals, during = asyncio.run(main())
    assert during >= 1, "the file ended before any live final: too short a file for this machine"
    assert gate_pauses(server) > before
    for transcript in finals:
        assert wer(said, transcript) <= 0.15, transcript
    assert response.status_code == 200
    assert wer(reference, response.json()["transcription"]) <= 0.15
