"""Start-up rules: no open server on a public address, clear failure on bad weights, safe weight assembly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from models.config import load_config
from tests.helpers import REPO


def _serve(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_refuses_public_bind_without_keys() -> None:
    result = _serve(["--host", "0.0.0.0", "--port", "0"], {"PULSE_API_KEYS": ""})
    assert result.returncode != 0
    assert "--insecure-no-auth" in result.stderr


def test_bad_weights_fail_startup_with_clear_message(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["models"] = {"pulse": {"weights": {"path": str(tmp_path / "missing-model")}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = _serve(["--port", "0", "--config", str(path)], {"PULSE_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode != 0
    assert "model 'pulse' failed to load" in result.stderr and "missing-model" in result.stderr


def test_invalid_config_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("models:\n  pulse:\n    wieghts: {}\n")
    result = _serve(["--port", "0", "--config", str(path)], {})
    assert result.returncode != 0 and "invalid config" in result.stderr


def test_concurrent_first_starts_assemble_weights_once(tmp_path: Path) -> None:
    """Two processes assemble the split base model into an empty cache at once: one valid result."""
    code = (
        "import sys; from pathlib import Path; from models.config import load_config; "
        "from models.weights import resolve_weights; "
        f"w = load_config({str(REPO / 'configs' / 'default.yaml')!r}).models['pulse'].weights; "
        "print(resolve_weights(w, Path(sys.argv[1])))"
    )
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(cache)], cwd=REPO, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1]
    model_dir = Path(outputs[0])
    weights = load_config(REPO / "configs" / "default.yaml").models["pulse"].weights
    assert (model_dir / "model.bin").stat().st_size == weights.size
    assert (model_dir / ".verified").read_text().strip() == weights.sha256
    assert not list(model_dir.glob(".model.bin.*")), "temporary files left behind"
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in model_dir.iterdir()}


def test_every_shipped_config_validates() -> None:
    """configs/*.yaml parse into the typed configs of every section (gpu.yaml is checked without a GPU)."""
    from models.redaction import RedactionConfig
    from models.speakers.config import SpeakerStagesConfig
    from models.streaming.config import live_model_config, live_server_config
    from server.jobs import JobsConfig

    for path in sorted((REPO / "configs").glob("*.yaml")):
        config = load_config(path)
        assert set(config.models) == {"pulse", "pulse-pro"}, path
        SpeakerStagesConfig.from_stages(config.stages)
        RedactionConfig.from_mapping(config.stages.get("redaction"))
        JobsConfig.from_mapping(config.jobs)
        live_server_config(config.live)
        for model in config.models.values():
            live_model_config(model.live)
