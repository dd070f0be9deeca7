"""Bearer-key authentication for HTTP and WebSocket upgrades; keys compared in constant time, never logged."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.errors import ApiError, is_legacy
from server.settings import ApiKey

MISSING_MESSAGE = "Unauthorized: No tokens provided"
INVALID_MESSAGE = "Unauthorized: invalid API key"


def _presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    header = headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = query.get("token")
    return token.strip() if token and token.strip() else None


def match_key(keys: list[ApiKey], presented: str) -> ApiKey | None:
    """Compare against every configured key so timing does not reveal which one matched."""
    found: ApiKey | None = None
    for candidate in keys:
        if hmac.compare_digest(candidate.key.encode(), presented.encode()):
            found = candidate
    return found


def authenticate(
    keys: list[ApiKey], headers: Mapping[str, str], query: Mapping[str, str], legacy: bool
) -> ApiKey | None:
    """Return the matching key (None when the server runs open); raise ApiError(401) otherwise."""
    if not keys:
        return None
    presented = _presented_key(headers, query)
    if presented is None:
        body = {"message": MISSING_MESSAGE} if legacy else None
        raise ApiError(401, MISSING_MESSAGE, body=body)
    key = match_key(keys, presented)
    if key is None:
        body = {"error": "unauthorized"} if legacy else None
        raise ApiError(401, INVALID_MESSAGE, body=body)
    return key


def check_entitlement(key: ApiKey | None, model: str) -> None:
    """403 when the key is valid but not entitled to `model`."""
    if key is not None and key.models and model not in key.models:
        raise ApiError(403, f"This API key is not entitled to model '{model}'.")


# Declares `components.securitySchemes` (Bearer API key) in /openapi.json for every route that depends on
# `require_api_key`; it never refuses anything itself (the key may also come as `?token=`).
BEARER = HTTPBearer(auto_error=False, scheme_name="BearerApiKey", description="`Authorization: Bearer <API key>`")


async def require_api_key(
    request: Request, _bearer: HTTPAuthorizationCredentials | None = Depends(BEARER)
) -> str:
    """FastAPI dependency for HTTP routes; returns the key id ('' when the server runs open)."""
    key = authenticate(request.app.state.api_keys, request.headers, request.query_params, is_legacy(request))
    request.state.api_key = key
    return key.key if key else ""
