"""Start `pulse-server serve --backend ray` as a real process on loopback (tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import API_KEY, REPO, free_port

START_TIMEOUT_S = 600


@dataclass
class RayServer:
    """The `serve --backend ray` process; same attributes the SDK and WebSocket helpers use."""

    port: int
    process: subprocess.Popen
    log_path: Path
    api_key: str = API_KEY

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the CLI deletes the app and stops its Ray instance
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_ray_server(config: Path, tmp: Path, env: dict[str, str] | None = None) -> RayServer:
    port = free_port()
    log_path = tmp / "serve.log"
    full_env = {
        **os.environ,
        "PULSE_API_KEYS": API_KEY,
        "PULSE_CACHE_DIR": str(REPO / ".cache"),
        "PULSE_DATA_DIR": str(tmp / "data"),
        "RAY_USAGE_STATS_ENABLED": "0",
        **(env or {}),
    }
    command = [sys.executable, "-m", "server.cli", "serve", "--backend", "ray", "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "--config", str(config)],
            cwd=REPO,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ray's own processes can be stopped with the group if needed
        )
    server = RayServer(port, process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve --backend ray exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    server.stop()
    raise RuntimeError(f"Ray Serve app did not become healthy:\n{log_path.read_text()[-4000:]}")
