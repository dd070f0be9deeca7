"""Log hygiene: an API key sent as `?token=` (browsers cannot set headers on a WebSocket) never reaches a log line."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"([?&]token=)[^&\s\"]*", re.IGNORECASE)
# uvicorn logs request lines on "uvicorn.access" and WebSocket handshakes on "uvicorn.error".
UVICORN_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact_tokens(text: str) -> str:
    return _TOKEN.sub(r"\1[redacted]", text)


class TokenRedactingFilter(logging.Filter):
    """Rewrites `token=<key>` in a record's message arguments (the request path uvicorn logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_tokens(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        return True


def install_token_redaction() -> None:
    """Idempotent: uvicorn's dictConfig keeps logger filters, so this may run before uvicorn starts."""
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(TokenRedactingFilter())
