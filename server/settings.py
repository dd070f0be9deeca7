"""Start-up configuration, read once: process settings (env `PULSE_*`, CLI flags) and the YAML config tree."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from models.config import PulseConfig, describe_errors
from server.jobs.config import JobsConfig

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ApiKey:
    """A configured key and the models it may use (empty = all)."""

    key: str
    models: frozenset[str]


class Settings(BaseSettings):
    """Environment overrides use the `PULSE_` prefix, e.g. `PULSE_API_KEYS`, `PULSE_CONFIG`."""

    model_config = SettingsConfigDict(env_prefix="PULSE_", extra="ignore")

    config: Path = REPO_ROOT / "configs" / "default.yaml"
    host: str = "127.0.0.1"
    port: int = 8000
    # Comma-separated. An entry `sk_abc` may use every model; `sk_abc:pulse` only `pulse`
    # (`sk_abc:pulse|pulse-pro` for several). A key without entitlement gets 403.
    api_keys: str = ""
    insecure_no_auth: bool = False
    cache_dir: Path = REPO_ROOT / ".cache"
    data_dir: Path = REPO_ROOT / ".data"
    # HMAC secret for webhook signatures; empty = generated once and kept in the data dir.
    webhook_secret: str = ""
    log_level: str = "info"

    def parsed_keys(self) -> list[ApiKey]:
        keys: list[ApiKey] = []
        for entry in self.api_keys.split(","):
            entry = entry.strip()
            if not entry:
                continue
            key, _, models = entry.partition(":")
            keys.append(ApiKey(key.strip(), frozenset(m.strip() for m in models.split("|") if m.strip())))
        return keys

    def check_bind_safety(self) -> None:
        """Refuse to serve without keys on a non-loopback address unless explicitly told to."""
        if self.parsed_keys() or self.insecure_no_auth:
            return
        try:
            loopback = ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            loopback = self.host == "localhost"
        if not loopback:
            raise SystemExit(
                f"refusing to serve on {self.host} without API keys: set PULSE_API_KEYS or pass --insecure-no-auth"
            )


class ServerConfig(PulseConfig, BaseSettings):
    """The whole YAML file, typed. `PULSE_<SECTION>__<KEY>` environment variables override its values
    (e.g. `PULSE_LIMITS__MAX_UPLOAD_BYTES`, `PULSE_STAGES__DIARIZATION__MAX_SPEAKERS`)."""

    model_config = SettingsConfigDict(env_prefix="PULSE_", env_nested_delimiter="__", extra="forbid")

    jobs: JobsConfig = Field(default_factory=JobsConfig)

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
    except Exception as exc:  # yaml's parser errors carry the line and column
        raise ValueError(f"cannot parse config {path}: {exc}") from exc
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
