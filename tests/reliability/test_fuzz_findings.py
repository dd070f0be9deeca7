"""Regressions for what the OpenAPI fuzzing found (no server needed)."""

from __future__ import annotations

import sqlite3

import pytest

from server.jobs import requestlog


def test_huge_log_page_is_a_clear_error_not_an_overflow() -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.executescript(requestlog.SCHEMA)
    assert requestlog.page(conn, "owner", requestlog.MAX_PAGE, 100).entries == []
    with pytest.raises(requestlog.LogQueryError, match="page must be between"):
        requestlog.page(conn, "owner", 26069281812234719199232, 20)  # was OverflowError -> 500
