"""One real server for the fast reliability subset (redaction on, transcripts kept in the request log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ServerProcess
from tests.support.reliability.common import MAIN_CONFIG, launch


@pytest.fixture(scope="session")
def reliability_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reliability")


@pytest.fixture(scope="session")
def abuse_server(reliability_dir: Path) -> Iterator[ServerProcess]:
    server = launch(reliability_dir, "abuse", overrides=MAIN_CONFIG)
    yield server
    server.stop()
