"""Webhook callbacks (spec §3.5): payload with `webhook_extra`, HMAC signing, one delivery attempt, backoff.

POST sends the JSON body. GET (spec §13 Q5 leaves it open) sends the same fields as query
parameters: strings/numbers/booleans as text, arrays and objects as compact JSON; when the URL
would exceed `max_get_url_bytes`, `words`, `utterances` and then `transcription` are dropped and
`truncated=true` is added (the full result stays at `GET /waves/v1/stt/jobs/{request_id}`).
The signature covers `"<timestamp>." + body` for POST and `"<timestamp>." + raw query string` for GET.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import random
import re
import secrets
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from server.jobs.config import WebhookConfig
from server.jobs.records import JobRecord
from server.jobs.ssrf import UrlGuard, UrlRefused

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Pulse-Signature"
TIMESTAMP_HEADER = "X-Pulse-Timestamp"
SECRET_FILE = "webhook_secret"
# Keys of the result body that webhook_extra may not overwrite.
RESERVED_KEYS = frozenset(
    {
        "status",
        "request_id",
        "transcription",
        "words",
        "utterances",
        "language",
        "metadata",
        "totalBytes",
        "gender",
        "emotions",
        "error",
        "truncated",
    }
)
MAX_EXTRA_PAIRS = 32
MAX_EXTRA_VALUE_CHARS = 512
_EXTRA_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# Dropped in this order when a GET callback URL would be too long.
_GET_DROP_ORDER = ("words", "utterances", "transcription")


class WebhookExtraError(ValueError):
    """`webhook_extra` is malformed; the message is meant for a 400."""


def parse_webhook_extra(raw: str | None) -> dict[str, str]:
    """`k:v,k2:v2` -> {"k": "v", "k2": "v2"}; values may contain ':' (only the first splits)."""
    if raw is None or not raw.strip():
        return {}
    pairs: dict[str, str] = {}
    items = raw.split(",")
    if len(items) > MAX_EXTRA_PAIRS:
        raise WebhookExtraError(f"webhook_extra has {len(items)} pairs; at most {MAX_EXTRA_PAIRS} are allowed")
    for item in items:
        key, sep, value = item.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            raise WebhookExtraError(f"webhook_extra item {item.strip()!r} is not of the form key:value")
        if not _EXTRA_KEY.match(key):
            raise WebhookExtraError(f"webhook_extra key {key!r} must be 1-64 letters, digits, '_', '-' or '.'")
        if key in RESERVED_KEYS:
            raise WebhookExtraError(f"webhook_extra key {key!r} is reserved by the result body")
        if key in pairs:
            raise WebhookExtraError(f"webhook_extra key {key!r} appears twice")
        if len(value) > MAX_EXTRA_VALUE_CHARS:
            raise WebhookExtraError(f"webhook_extra value of {key!r} is longer than {MAX_EXTRA_VALUE_CHARS} characters")
        pairs[key] = value
    return pairs


def build_payload(job: JobRecord) -> dict[str, Any]:
    """The full result (or failure body) plus request_id and the caller's extra pairs."""
    payload: dict[str, Any] = dict(job.result or {"status": "failed", "error": job.error or "unknown error"})
    payload.setdefault("request_id", job.request_id)
    for key, value in job.webhook_extra.items():
        payload[key] = str(value)
    return payload


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, timestamp: str | int, body: bytes, header: str, tolerance_s: float = 300.0, now: float | None = None
) -> bool:
    """For receivers: True if `header` signs `body` at `timestamp` and the timestamp is fresh."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), header.strip())


def load_or_create_secret(data_dir: Path, configured: str) -> str:
    """The configured secret, else one generated once and kept (mode 0600) in the data dir."""
    if configured:
        return configured
    path = Path(data_dir) / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
    log.warning("no webhook secret configured; generated one in %s", path)
    return secret


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def get_query(payload: dict[str, Any], base_url: httpx.URL, max_url_bytes: int) -> str:
    """Query string for a GET callback (the URL's own query kept first)."""
    fields = {k: v for k, v in payload.items() if v is not None}
    own = base_url.query.decode()

    def render() -> str:
        ours = urlencode([(k, _query_value(v)) for k, v in fields.items()])
        return f"{own}&{ours}" if own else ours

    query = render()
    for key in _GET_DROP_ORDER:
        if len(str(base_url.copy_with(query=None))) + 1 + len(query) <= max_url_bytes:
            break
        if key in fields:
            fields.pop(key)
            fields["truncated"] = True
            query = render()
    return query


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta or HTTP date), None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, config: WebhookConfig, rng: random.Random) -> float:
    """Exponential backoff with equal jitter for the retry after `attempt` failures (1-based)."""
    ceiling = min(config.max_delay_s, config.base_delay_s * 2 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class DeliveryOutcome:
    ok: bool
    error: str = ""
    # Permanent: another attempt would get the same answer (4xx, refused URL).
    permanent: bool = False
    retry_after_s: float | None = None
    status_code: int | None = None


class WebhookDeliverer:
    """Sends one callback attempt per call; the worker decides on retries via next_attempt_at()."""

    def __init__(self, config: WebhookConfig, secret: str, guard: UrlGuard, *, seed: int | None = None) -> None:
        if not secret:
            raise ValueError("a webhook secret is required (see load_or_create_secret)")
        self.config = config
        self.secret = secret
        self.guard = guard
        self.rng = random.Random(seed)
        # trust_env=False keeps proxies out of the pinned connection; redirects are not followed.
        self.client = httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=config.timeout_s)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def deliver_once(self, job: JobRecord) -> DeliveryOutcome:
        if not job.webhook_url:
            return DeliveryOutcome(ok=False, permanent=True, error="job has no webhook_url")
        try:
            target = await self.guard.check(job.webhook_url, what="webhook_url")
        except UrlRefused as exc:
            return DeliveryOutcome(ok=False, permanent=True, error=str(exc))
        payload = build_payload(job)
        stamp = int(time.time())
        headers = {
            **target.headers(),
            "User-Agent": "pulse-server-webhook/1",
            TIMESTAMP_HEADER: str(stamp),
            "X-Pulse-Request-Id": job.request_id,
            # claim_delivery counted this attempt before it was handed over.
            "X-Pulse-Delivery-Attempt": str(job.delivery_attempts),
        }
        url = target.request_url()
        if job.webhook_method.upper() == "GET":
            query = get_query(payload, target.url, self.config.max_get_url_bytes)
            headers[SIGNATURE_HEADER] = sign(self.secret, stamp, query.encode())
            request = self.client.build_request(
                "GET", url.copy_with(query=query.encode()), headers=headers, extensions=target.extensions()
            )
        else:
            body = json.dumps(payload, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
            headers[SIGNATURE_HEADER] = sign(self.secret, stamp, body)
            request = self.client.build_request(
                "POST", url, content=body, headers=headers, extensions=target.extensions()
            )
        try:
            response = await self.client.send(request)
            await response.aclose()
        except httpx.HTTPError as exc:
            return DeliveryOutcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        code = response.status_code
        if 200 <= code < 300:
            return DeliveryOutcome(ok=True, status_code=code)
        error = f"receiver answered HTTP {code}"
        if code == 429 or code >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return DeliveryOutcome(ok=False, error=error, retry_after_s=retry_after, status_code=code)
        if 300 <= code < 400:
            error += " (redirects are not followed)"
        return DeliveryOutcome(ok=False, error=error, permanent=True, status_code=code)

    def next_attempt_at(self, job: JobRecord, outcome: DeliveryOutcome, now: float | None = None) -> float | None:
        """When to try again after a failed attempt (already counted in job.delivery_attempts); None = give up."""
        done = job.delivery_attempts
        if outcome.permanent or done >= self.config.max_attempts:
            return None
        if outcome.retry_after_s is not None:
            delay = min(outcome.retry_after_s, self.config.retry_after_cap_s)
        else:
            delay = backoff_delay(done, self.config, self.rng)
        return (time.time() if now is None else now) + delay
