"""Process settings: one typed object, read once at start-up from env (`PULSE_*`) and CLI flags.

The YAML config tree is `server/config.py`; this module stays light so the CLI can check its flags fast.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

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
    # `postgresql://...` keeps jobs and the request log in PostgreSQL, shared by replicas (else SQLite).
    database_url: str = ""
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

