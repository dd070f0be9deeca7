"""The one place for test paths and shared data (`DATA`), the real server process, audio files and WER."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import av
import httpx
import jiwer
import numpy as np
from whisper_normalizer.english import EnglishTextNormalizer

from models.transcript import Word

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PULSE_SHARED_DATA", REPO.parent / "shared" / "data"))
JFK = DATA / "asr_en" / "jfk.flac"
API_KEY = "sk_test_full"
PULSE_ONLY_KEY = "sk_test_pulse_only"


def manifest(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """A real `pulse-server serve` subprocess on loopback."""

    port: int
    process: subprocess.Popen
    log_path: Path
    api_key: str = API_KEY
    extra: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_Server = TypeVar("_Server", bound=ServerProcess)


class ServerExitedError(RuntimeError):
    """The server process ended before it became healthy (e.g. a config error at start-up)."""

    def __init__(self, returncode: int, log: str) -> None:
        super().__init__(f"server exited with {returncode}:\n{log}")
        self.returncode = returncode
        self.log = log


def run_server_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """`pulse-server serve ARGS` run to completion (for start-ups that must fail)."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_server(
    config: Path, log_path: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> ServerProcess:
    port = free_port()
    full_env = {
        **os.environ,
        "PULSE_API_KEYS": f"{API_KEY},{PULSE_ONLY_KEY}:pulse",
        "PULSE_CACHE_DIR": str(REPO / ".cache"),
        "PULSE_DATA_DIR": str(log_path.parent / f"data-{port}"),
        **(env or {}),
    }
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--config",
            str(config),
        ],
        cwd=REPO,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    return wait_healthy(ServerProcess(port, process, log_path), timeout)


def wait_healthy(server: _Server, timeout: float, step_s: float = 0.3) -> _Server:
    """Poll `/health` until 200; raises ServerExitedError if the process ends, RuntimeError on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerExitedError(server.process.returncode, server.log())
        try:
            if httpx.get(f"{server.base_url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(step_s)
    server.stop()
    raise RuntimeError(f"server did not become healthy:\n{server.log()[-4000:]}")


def load_pcm(path: Path) -> np.ndarray:
    """Decode a clip with PyAV (independently of the server code) to 16 kHz mono float32."""
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        chunks = [
            out.to_ndarray().reshape(-1) for frame in container.decode(audio=0) for out in resampler.resample(frame)
        ]
    return np.concatenate(chunks).astype(np.float32) / 32768.0


def encode_audio(pcm: np.ndarray, path: Path, codec: str, rate: int = 16000, fmt: str | None = None) -> Path:
    """Write mono float32 audio with PyAV in the given codec/container (mp3, ogg/opus, wav …)."""
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame_size = 960 if codec in ("libopus", "opus") else 1152 if codec in ("libmp3lame", "mp3") else 1024
        data = (np.clip(pcm, -1, 1) * 32767).astype(np.int16)
        for start in range(0, data.size, frame_size):
            piece = data[start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_wav(pcm: np.ndarray, path: Path, rate: int = 16000) -> Path:
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.clip(pcm, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


# -- WER (normalise both sides like Whisper's English normaliser) ------------------------------

_normalise = EnglishTextNormalizer()


def normalise(text: str) -> str:
    return _normalise(text)


def basic_wer(reference: str, hypothesis: str) -> float:
    """Language-neutral WER: lower-case, punctuation removed."""
    clean = re.compile(r"[^\w\s]")
    ref = " ".join(clean.sub(" ", reference.lower()).split())
    hyp = " ".join(clean.sub(" ", hypothesis.lower()).split())
    return jiwer.wer(ref, hyp) if ref else float(bool(hyp))


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return jiwer.wer(ref, hyp)


def timed_words(text: str, speaker: int | None = None) -> list[Word]:
    """Words 0.5 s apart with distinct confidences, so span and max-confidence checks are meaningful."""
    return [
        Word(word=part, start=index * 0.5, end=index * 0.5 + 0.4, confidence=0.5 + 0.01 * index,
             speaker=speaker, speaker_confidence=0.9 if speaker is not None else None)
        for index, part in enumerate(text.split())
    ]  # fmt: skip


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (the pre-recorded decode processes, models/forward_process.py)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found
