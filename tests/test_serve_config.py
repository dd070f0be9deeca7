"""The `serve:` section (Ray layout) and the job-store choice: validation only, no Ray or database needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from server.config import load_config
from server.jobs.config import StoreConfig
from server.jobs.store import SqliteJobStore
from server.jobs.store_select import open_store
from server.serve_config import ServeConfig

REPO = Path(__file__).resolve().parents[1]


def test_ray_yaml_layout() -> None:
    serve = load_config(REPO / "configs" / "ray.yaml").serve
    assert set(serve.models) == {"pulse", "pulse-pro"}
    options = serve.model("pulse-pro").serve_options()
    actor = options["ray_actor_options"]
    assert options["num_replicas"] == 1 and (actor["num_cpus"], actor["num_gpus"]) == (1.0, 0.0)
    # One CPU reserved = every thread pool of the replica at 1 thread.
    assert actor["runtime_env"]["env_vars"]["OMP_NUM_THREADS"] == "1"
    assert serve.max_ingress_replicas == 1
    # A model the section does not name gets the defaults; the embedded default config has no section.
    assert serve.model("other").max_batch_size == 4
    assert load_config(REPO / "configs" / "default.yaml").serve == ServeConfig()


def test_ray_yaml_transcribes_as_the_default() -> None:
    """The Ray layout serves the embedded default's models: every setting that shapes a transcript (pre-recorded
    decoding, the live path, the stages) is the one measured in configs/default.yaml; only thread counts and the
    `serve:` section may differ. (ray.yaml had kept the VAD threshold 0.5 and pulse-pro's beam 5 after both
    were re-measured for telephone audio.)"""
    default = load_config(REPO / "configs" / "default.yaml")
    ray = load_config(REPO / "configs" / "ray.yaml")
    assert set(ray.models) == set(default.models)
    for name, model in default.models.items():
        for section in ("weights", "compute_type", "batch", "live", "utterance_pause_seconds", "english_only",
                        "streaming"):
            assert getattr(ray.models[name], section) == getattr(model, section), (name, section)
    assert ray.stages == default.stages


def test_autoscaling_replaces_fixed_replicas() -> None:
    serve = ServeConfig.model_validate(
        {"ingress": {"autoscaling": {"min_replicas": 1, "max_replicas": 3}}, "models": {"pulse": {"num_gpus": 0.5}}}
    )
    options = serve.ingress.serve_options()
    assert "num_replicas" not in options and options["autoscaling_config"]["max_replicas"] == 3
    assert serve.max_ingress_replicas == 3
    actor = serve.model("pulse").serve_options()["ray_actor_options"]
    assert (actor["num_cpus"], actor["num_gpus"]) == (1.0, 0.5)


@pytest.mark.parametrize(
    "section",
    [
        {"ingres": {}},
        {"models": {"pulse": {"replicas": 2}}},
        {"stages": {"num_cpus": -1}},
        {"ingress": {"autoscaling": {"min_replicas": 3, "max_replicas": 2}}},
        {"models": {"pulse": {"num_cpus": 0.5, "pin_cpus": True}}},
    ],
)
def test_bad_serve_section_is_refused(section: dict) -> None:
    with pytest.raises(ValidationError):
        ServeConfig.model_validate(section)


def test_store_choice(tmp_path: Path) -> None:
    store = open_store(StoreConfig(data_dir=tmp_path))
    assert isinstance(store, SqliteJobStore)
    store.close()
    with pytest.raises(ValueError, match="postgresql://"):
        open_store(StoreConfig(data_dir=tmp_path), "mysql://db/jobs")
