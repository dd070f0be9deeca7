"""Two real server processes share one PostgreSQL: every async job is delivered exactly once (counted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pg_server import PostgresUnavailable
from tests.support.shared_queue import run

pytestmark = pytest.mark.slow


def test_two_servers_one_queue_exactly_once(tmp_path: Path) -> None:
    try:
        result = run(20, tmp_path, drain_timeout_s=600)
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    assert result.accepted_by[0] == result.accepted_by[1] == 10
    assert result.deliveries == {rid: 1 for rid in result.deliveries} and len(result.deliveries) == 20
    assert result.statuses == {"delivered": 20}
    assert result.exactly_once
