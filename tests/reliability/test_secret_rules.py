"""The rules the secrets grep relies on: they find a spoken number, and `?token=` keys never reach a log line."""

from __future__ import annotations

import logging

from server.access_log import TokenRedactingFilter, install_token_redaction
from tests.support.reliability.secrets_grep import SPOKEN, digit_leak


def test_digit_rule_finds_spoken_and_written_numbers_but_not_log_noise() -> None:
    golds = [g for _, digits, _ in SPOKEN for g in digits]
    assert digit_leak("my card is four nine two nine three eight one seven", golds)
    assert digit_leak("debit 7734-1908", golds)
    assert not digit_leak("2026-12-01 21:17:55,546 INFO took 1755 ms on 127.0.0.1:49293", golds)


def test_token_query_parameter_is_redacted_in_uvicorn_records() -> None:
    install_token_redaction()
    install_token_redaction()
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, TokenRedactingFilter) for f in access.filters) == 1
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:1", "/waves/v1/stt/live?model=pulse&token=sk_live_secret&x=1"), None)
    assert TokenRedactingFilter().filter(record)
    line = record.getMessage()
    assert "sk_live_secret" not in line and "token=[redacted]&x=1" in line
