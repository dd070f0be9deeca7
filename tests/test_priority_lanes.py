"""Pre-recorded work runs at the model's niceness, live decodes at 0 (real server, real model, /proc).

With `prerecorded_process` the pre-recorded decodes run in a child process (models/forward_process.py),
whose threads count with the server's.

A long file on the same CPU must not delay live finals: the pre-recorded engine's threads (and the
CTranslate2 compute threads they start) run at `models.<name>.nice`, the live instance's at 0, so
the kernel gives live decodes the CPU first. Checked by which threads of the server process burn
CPU time during a pre-recorded request and during a live session.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from server.config import load_config
from tests.helpers import JFK, REPO, ServerProcess, load_pcm, process_tree
from tests.support.live import connect, pcm16, send_audio, url

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")]


def cpu_by_niceness(pid: int) -> dict[int, int]:
    """CPU ticks each thread of `pid` and of its child processes has used, summed by the thread's niceness."""
    ticks: dict[int, int] = {}
    for process in process_tree(pid):
        tasks = Path(f"/proc/{process}/task")
        for task in tasks.iterdir() if tasks.exists() else []:
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the thread ended meanwhile
            nice, used = int(fields[16]), int(fields[11]) + int(fields[12])  # stat fields 19, 14 + 15
            ticks[nice] = ticks.get(nice, 0) + used
    return ticks


def spent(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    return {nice: after[nice] - before.get(nice, 0) for nice in after}


def test_prerecorded_runs_niced_and_live_does_not(server: ServerProcess) -> None:
    nice = load_config(REPO / "configs" / "default.yaml").models["pulse"].nice
    assert nice > 0, "the embedded default lowers pre-recorded work's priority"
    pid = server.process.pid
    before = cpu_by_niceness(pid)
    response = httpx.post(f"{server.base_url}/waves/v1/stt/", params={"model": "pulse", "language": "en"},
                          content=JFK.read_bytes(), headers=server.auth, timeout=120)
    assert response.status_code == 200 and response.json()["transcription"]
    prerecorded = spent(before, cpu_by_niceness(pid))
    # Most of the request's CPU time (decode, VAD) was spent at the model's niceness.
    assert prerecorded.get(nice, 0) > 2 * prerecorded.get(0, 0), prerecorded

    async def stream() -> None:
        async with connect(server, url(server)) as ws:
            await send_audio(ws, pcm16(load_pcm(JFK)))
            await ws.send(json.dumps({"type": "finalize"}))
            async with asyncio.timeout(120):
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("is_final") and message.get("from_finalize"):
                        assert message["transcript"]
                        return

    before = cpu_by_niceness(pid)
    asyncio.run(stream())
    live = spent(before, cpu_by_niceness(pid))
    assert live.get(0, 0) > 2 * live.get(nice, 0), live
    assert os.getpriority(os.PRIO_PROCESS, pid) == 0  # the process itself (event loop) is not niced
