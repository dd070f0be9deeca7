"""Readiness: is every configured model and enrichment stage loaded? Shared by `/ready` and `/metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import State

# YAML stage names → the loaded object on `app.state.stages` that serves them.
STAGE_OWNERS = {"diarization": "speakers", "gender": "speakers", "emotion": "speakers", "redaction": "redactor"}


@dataclass(frozen=True)
class Readiness:
    models: dict[str, bool]
    stages: dict[str, bool]
    jobs: bool

    @property
    def ready(self) -> bool:
        return self.jobs and all(self.models.values()) and all(self.stages.values())

    def as_json(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "loading", "models": self.models, "stages": self.stages,
                "jobs": self.jobs}



def readiness(state: State) -> Readiness:
    config = state.config
    registry = getattr(state, "registry", None)
    loaded = set(registry.names()) if registry is not None else set()
    models = {name: name in loaded for name in config.models}
    stages = getattr(state, "stages", None)
    report = {
        name: getattr(stages, owner, None) is not None
        for name, owner in STAGE_OWNERS.items()
        if getattr(config.stages, name).enabled
    }
    return Readiness(models, report, getattr(state, "jobs", None) is not None)
