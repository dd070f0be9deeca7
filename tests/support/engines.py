"""Real pre-recorded engines on the embedded default config, and the English options tests decode with."""

from __future__ import annotations

from models.asr import AsrOptions, WhisperEngine
from models.languages import LanguagePlan
from server.config import load_config
from tests.helpers import REPO

ENGLISH = AsrOptions(plan=LanguagePlan("en", "en", None), word_timestamps=True)


def default_engine(name: str, compute_type: str | None = None) -> WhisperEngine:
    """Model `name` of configs/default.yaml, loaded from the repository's weight cache; `compute_type` overrides
    the config's (float32 numerics differ from int8 as another CPU's do)."""
    model = load_config(REPO / "configs" / "default.yaml").models[name]
    if compute_type is not None:
        model = model.model_copy(update={"compute_type": compute_type})
    return WhisperEngine(name, model, REPO / ".cache")
