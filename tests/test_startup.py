"""Start-up rules: one typed config tree that names the path of a bad key, no open server on a public
address, clear failure on bad weights, safe weight assembly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from models.config import StagesConfig
from models.stages import Stages
from models.streaming.config import LiveModelConfig, LiveServerConfig
from server.config import fill_process_defaults, load_config
from server.jobs import JobsConfig
from server.settings import Settings
from tests.helpers import REPO, ServerExitedError, run_server_cli, start_server

SHIPPED = sorted((REPO / "configs").glob("*.yaml"))
DEFAULT = REPO / "configs" / "default.yaml"


def _write_config(tmp_path: Path, edit: dict) -> Path:
    """configs/default.yaml with `edit` merged in (nested mappings merge, other values replace)."""

    def merge(base: dict, change: dict) -> dict:
        out = dict(base)
        for key, value in change.items():
            out[key] = merge(out.get(key) or {}, value) if isinstance(value, dict) else value
        return out

    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(merge(yaml.safe_load(DEFAULT.read_text()), edit)))
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_config_loads(path: Path) -> None:
    """Each configs/*.yaml validates as one typed tree (gpu.yaml is checked without a GPU)."""
    config = load_config(path)
    assert config.models
    assert isinstance(config.stages, StagesConfig)
    assert isinstance(config.live, LiveServerConfig)
    assert isinstance(config.jobs, JobsConfig)
    assert all(isinstance(model.live, LiveModelConfig) for model in config.models.values())


BAD_KEYS = [
    ({"stages": {"diarization": {"max_speakerz": 4}}}, "stages.diarization.max_speakerz: extra field not permitted"),
    ({"stages": {"diarizaton": {"max_speakers": 4}}}, "stages.diarizaton: extra field not permitted"),
    ({"stages": {"redaction": {"score_treshold": 0.6}}}, "stages.redaction.score_treshold: extra field not permitted"),
    ({"live": {"max_sesions": 3}}, "live.max_sesions: extra field not permitted"),
    ({"models": {"pulse": {"live": {"decoder": {"beam_sise": 2}}}}}, "models.pulse.live.decoder.beam_sise: extra"),
    ({"jobs": {"store": {"data_dri": "/tmp"}}}, "jobs.store.data_dri: extra field not permitted"),
    ({"limits": {"max_upload_bytes": "lots"}}, "limits.max_upload_bytes: Input should be a valid integer"),
    ({"stages": {"redaction": {"score_threshold": "high"}}}, "stages.redaction.score_threshold: Input should be"),
]


@pytest.mark.parametrize(("edit", "message"), BAD_KEYS, ids=[m.split(":")[0] for _, m in BAD_KEYS])
def test_bad_key_fails_naming_its_path(tmp_path: Path, edit: dict, message: str) -> None:
    path = _write_config(tmp_path, edit)
    with pytest.raises(ValueError, match=f"invalid config {path}") as caught:
        load_config(path)
    assert message in str(caught.value)


def test_unreadable_configs_say_why(tmp_path: Path) -> None:
    for text, message in [
        ("- models\n- stages\n", "the top level must be a mapping"),
        ("models: [\n", "cannot parse config"),
        ("", "models: Field required"),
    ]:
        path = tmp_path / "config.yaml"
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            load_config(path)
    with pytest.raises(ValueError, match="no such file"):
        load_config(tmp_path / "missing.yaml")


def test_disabled_stages_load_nothing_and_serve_no_options(tmp_path: Path) -> None:
    off = {"enabled": False}
    edit = {"stages": {"diarization": off, "gender": off, "emotion": off, "redaction": off}}
    stages = Stages.load(load_config(_write_config(tmp_path, edit)).stages)
    assert stages.speakers is None and stages.redactor is None
    assert stages.features == frozenset()


def test_env_overrides_nested_keys_and_its_typos_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_LIMITS__MAX_UPLOAD_BYTES", "1234")
    monkeypatch.setenv("PULSE_STAGES__DIARIZATION__MAX_SPEAKERS", "3")
    config = load_config(DEFAULT)
    assert config.limits.max_upload_bytes == 1234
    assert config.stages.diarization.max_speakers == 3
    assert config.stages.diarization.backend == "embedded"  # the rest of the section still comes from the YAML
    monkeypatch.setenv("PULSE_STAGES__GENDER__WEIGHT", "x.npz")
    with pytest.raises(ValueError, match="stages.gender.weight: extra field not permitted"):
        load_config(DEFAULT)


def test_yaml_jobs_values_win_and_process_settings_fill_the_rest(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "from-settings", webhook_secret="from-settings")
    unset = fill_process_defaults(load_config(DEFAULT), settings)
    assert unset.jobs.store.data_dir == tmp_path / "from-settings"
    assert unset.jobs.webhook.secret == "from-settings"
    assert unset.jobs.fetch.max_bytes == unset.limits.max_upload_bytes
    edit = {"jobs": {"store": {"data_dir": str(tmp_path / "yaml")}, "fetch": {"max_bytes": 1000}, "webhook": {"secret": "y"}}}
    explicit = fill_process_defaults(load_config(_write_config(tmp_path, edit)), settings)
    assert explicit.jobs.store.data_dir == tmp_path / "yaml"
    assert explicit.jobs.fetch.max_bytes == 1000
    assert explicit.jobs.webhook.secret == "y"


def test_misspelled_key_stops_the_server_naming_the_path(tmp_path: Path) -> None:
    """The real `pulse-server serve` exits non-zero before loading any model and prints the key's path.
    In the fast tier: the process stops while reading its config (about as long as importing the server)."""
    path = _write_config(tmp_path, {"stages": {"diarization": {"max_speakerz": 4}}})
    with pytest.raises(ServerExitedError) as caught:
        start_server(path, tmp_path / "server.log")
    assert caught.value.returncode != 0
    assert "stages.diarization.max_speakerz: extra field not permitted" in caught.value.log


def test_refuses_public_bind_without_keys() -> None:
    result = run_server_cli(["--host", "0.0.0.0", "--port", "0"], {"PULSE_API_KEYS": ""})
    assert result.returncode != 0
    assert "--insecure-no-auth" in result.stderr


@pytest.mark.slow  # imports every engine and tries to load the model
def test_bad_weights_fail_startup_with_clear_message(tmp_path: Path) -> None:
    config = yaml.safe_load(DEFAULT.read_text())
    config["models"] = {"pulse": {"weights": {"path": str(tmp_path / "missing-model")}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_server_cli(["--port", "0", "--config", str(path)], {"PULSE_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode != 0
    assert "model 'pulse' failed to load" in result.stderr and "missing-model" in result.stderr


@pytest.mark.slow
def test_concurrent_first_starts_assemble_weights_once(tmp_path: Path) -> None:
    """Two processes assemble the split base model into an empty cache at once: one valid result."""
    code = (
        "import sys; from pathlib import Path; from server.config import load_config; "
        "from models.weights import resolve_weights; "
        f"w = load_config({str(DEFAULT)!r}).models['pulse'].weights; "
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
    weights = load_config(DEFAULT).models["pulse"].weights
    assert (model_dir / "model.bin").stat().st_size == weights.size
    assert (model_dir / ".verified").read_text().strip() == weights.sha256
    assert not list(model_dir.glob(".model.bin.*")), "temporary files left behind"
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in model_dir.iterdir()}

