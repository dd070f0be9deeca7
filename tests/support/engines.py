"""Real pre-recorded engines on the embedded default config, and the English options tests decode with."""

from __future__ import annotations

from models.asr import AsrOptions, WhisperEngine
from models.languages import LanguagePlan
from server.config import load_config
from tests.helpers import REPO

ENGLISH = AsrOptions(plan=LanguagePlan("en", "en", None), word_timestamps=True)


def default_engine(name: str) -> WhisperEngine:
    """Model `name` of configs/default.yaml, loaded from the repository's weight cache."""
    config = load_config(REPO / "configs" / "default.yaml")
    return WhisperEngine(name, config.models[name], REPO / ".cache")
