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


def test_openapi_schema_declares_what_the_fuzzer_had_to_add(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.app import create_app
    from tests.support.reliability.schema_fuzz import augment

    monkeypatch.setenv("PULSE_API_KEYS", "sk_schema_test")
    schema = create_app().openapi()
    assert augment(schema)[1] == []  # numerals/keywords, securitySchemes, error responses on jobs and analytics
    assert schema["components"]["securitySchemes"]["BearerApiKey"] == {
        "type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <API key>`"}
    logs = schema["paths"]["/waves/v1/analytics/asr/logs"]["get"]
    assert logs["security"] == [{"BearerApiKey": []}]
    assert logs["responses"]["400"]["content"]["application/json"]["schema"]["required"] == ["error"]
    assert all("422" not in op["responses"] for methods in schema["paths"].values() for op in methods.values())
