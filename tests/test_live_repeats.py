"""Through a real server and a real client: no final and no `full_transcript` repeats a run of words.

Short clips joined by 0.8 s pauses (each pause ends a final, the case that returned "Seven of clubs.
Seven of clubs.") and JFK (sealed pauses inside one final), streamed at twice real time, under the
shipped int8 live engine and a float32 one (another CPU's numerics). Asserts invariants and WER
bounds only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import jiwer
import numpy as np
import pytest
import websockets
import yaml
from whisper_normalizer.english import EnglishTextNormalizer

from models.streaming.seams import repeated_ngrams
from tests.helpers import DATA, REPO, ServerProcess, load_pcm, manifest, start_server

pytestmark = pytest.mark.slow
NORMALISE = EnglishTextNormalizer()
JOINED = ["ljspeech_LJ001-0002", "ljspeech_LJ002-0020", "ljspeech_LJ002-0035", "ljspeech_LJ001-0008",
          "librispeech_1089-134691-0000", "librivox_sense_and_sensibility_01_0880"]
FRAME = 3200  # 100 ms of 16-bit PCM
SPEED = 2.0


@pytest.fixture(scope="module", params=["int8", "float32"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    raw = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    raw["models"]["pulse"]["live"]["engine"] = {"compute_type": request.param}
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump(raw))
    proc = start_server(config, tmp / "server.log", timeout=240)
    yield proc
    proc.stop()


def clip(name: str) -> tuple[np.ndarray, str]:
    row = next(r for r in manifest("asr_en.jsonl") if Path(r["audio"]).stem == name)
    return load_pcm(DATA / row["audio"]), row["text"]


async def stream(server: ServerProcess, pcm: np.ndarray) -> list[dict]:
    url = f"{server.ws_url}/waves/v1/stt/live?model=pulse&language=en&full_transcript=true"
    data = (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes()
    finals: list[dict] = []
    async with websockets.connect(url, additional_headers=server.auth, max_size=None, open_timeout=60) as ws:
        async def reader() -> None:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("is_final"):
                    finals.append(message)
                if message.get("is_last"):
                    return

        task = asyncio.create_task(reader())
        for start in range(0, len(data), FRAME):
            await ws.send(data[start : start + FRAME])
            await asyncio.sleep(FRAME / 2 / 16000 / SPEED)
        await ws.send(json.dumps({"type": "close_stream"}))
        await asyncio.wait_for(task, 300)
    return [f for f in finals if f["transcript"]]


def check(finals: list[dict], reference: str, max_wer: float) -> None:
    ref = NORMALISE(reference).split()
    for final in finals:
        for text in (final["transcript"], final["full_transcript"]):
            assert not repeated_ngrams(NORMALISE(text).split(), ref), f"repeated run in {text!r}"
    full = finals[-1]["full_transcript"]
    assert jiwer.wer(NORMALISE(reference), NORMALISE(full)) <= max_wer, [f["transcript"] for f in finals]


def test_clips_joined_by_pauses(server: ServerProcess) -> None:
    pcms, refs = zip(*(clip(n) for n in JOINED), strict=True)
    gap = np.zeros(int(0.8 * 16000), np.float32)
    pcm = np.concatenate([p for c in pcms for p in (c, gap)])
    finals = asyncio.run(stream(server, pcm))
    assert len(finals) >= 2
    check(finals, " ".join(refs), 0.25)


def test_jfk_with_pauses_inside_one_final(server: ServerProcess) -> None:
    pcm, ref = clip("jfk")
    finals = asyncio.run(stream(server, np.concatenate([pcm, np.zeros(16000, np.float32)])))
    check(finals, ref, 0.2)
