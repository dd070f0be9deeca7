"""Start `pulse-server serve --backend ray` as a real process on loopback (tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import API_KEY, REPO, ServerProcess, free_port, wait_healthy

START_TIMEOUT_S = 600


class RayServer(ServerProcess):
    """The `serve --backend ray` process; stopping it also stops the Ray instance the CLI started."""

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
    return wait_healthy(RayServer(port, process, log_path), START_TIMEOUT_S, step_s=1)
