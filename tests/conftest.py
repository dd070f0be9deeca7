"""Session fixtures: one real server on the embedded default config, shared by protocol tests.

Tests that use `server` or `redactor`, load a model or start a server carry `@pytest.mark.slow`;
`-m "not slow"` is the fast tier.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers import DATA, REPO, ServerProcess, start_server

# tests/optin/ needs its own venv (scripts/test-pyannote); the default suite leaves it out.
collect_ignore = [] if os.environ.get("PULSE_OPTIN") == "1" else ["optin"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not DATA.exists():
        raise pytest.UsageError(f"shared test data not found at {DATA} (set PULSE_SHARED_DATA)")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The embedded default (`configs/default.yaml`) behind API keys, on a free loopback port."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    proc = start_server(REPO / "configs" / "default.yaml", log)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def redactor():  # noqa: ANN201 — imported lazily so suites without redaction tests never load Presidio
    """The redaction engine (Presidio + spaCy), loaded once for every redaction test module."""
    from models.redaction import Redactor

    return Redactor()
