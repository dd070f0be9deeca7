"""The YAML config tree, typed and loaded once at start-up: models, limits, stages, live (models/config.py)
plus the server's `jobs` section, with `PULSE_<SECTION>__<KEY>` environment overrides."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from models.config import PulseConfig, describe_errors
from server.jobs.config import JobsConfig
from server.operator_config import MetricsConfig, OpenAIConfig, PlaygroundConfig
from server.serve_config import ServeConfig
from server.settings import Settings


class ServerConfig(PulseConfig, BaseSettings):
    """The whole YAML file, typed. `PULSE_<SECTION>__<KEY>` environment variables override its values
    (e.g. `PULSE_LIMITS__MAX_UPLOAD_BYTES`, `PULSE_STAGES__DIARIZATION__MAX_SPEAKERS`)."""

    model_config = SettingsConfigDict(env_prefix="PULSE_", env_nested_delimiter="__", extra="forbid")

    jobs: JobsConfig = Field(default_factory=JobsConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    openai: OpenAIConfig = Field(default_factory=OpenAIConfig)
    playground: PlaygroundConfig = Field(default_factory=PlaygroundConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_config passes the YAML file's values as init values; environment overrides beat them.
        return (env_settings, init_settings)


def load_config(path: str | Path) -> ServerConfig:
    """Read, merge with `PULSE_*` overrides and validate a YAML config.

    Raises ValueError naming the file and, for each problem, its YAML path.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"cannot read config {path}: no such file")
    try:
        values = YamlConfigSettingsSource(ServerConfig, yaml_file=path)()
    except yaml.YAMLError as exc:  # carries the line and column
        raise ValueError(f"cannot parse config {path}: {exc}") from exc
    except (TypeError, ValueError) as exc:  # a list or a scalar at the top
        raise ValueError(f"invalid config {path}: the top level must be a mapping of sections (models, …)") from exc
    try:
        return ServerConfig(**values)
    except ValidationError as exc:
        raise ValueError(f"invalid config {path}:\n{describe_errors(exc)}") from exc


def fill_process_defaults(config: ServerConfig, settings: Settings) -> ServerConfig:
    """Where `jobs:` overlaps a process setting, a value given in the YAML (or its `PULSE_JOBS__…` override)
    wins; a key the file leaves unset takes the process setting (`PULSE_DATA_DIR`, `PULSE_WEBHOOK_SECRET`)
    or, for `jobs.fetch.max_bytes`, `limits.max_upload_bytes`."""
    jobs = config.jobs.model_copy(deep=True)
    if "data_dir" not in jobs.store.model_fields_set:
        jobs.store.data_dir = settings.data_dir
    if "max_bytes" not in jobs.fetch.model_fields_set:
        jobs.fetch.max_bytes = config.limits.max_upload_bytes
    if "secret" not in jobs.webhook.model_fields_set and settings.webhook_secret:
        jobs.webhook.secret = settings.webhook_secret
    return config.model_copy(update={"jobs": jobs})
