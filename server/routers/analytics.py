"""Request-log analytics (spec §1.2 E6–E8): paginated log, soft delete, request-count time series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from server.auth import require_api_key
from server.errors import ApiError
from server.jobs.records import owner_of
from server.jobs.requestlog import LogQueryError
from server.routers.jobs import jobs_service
from server.schemas import error_responses

router = APIRouter()

DEFAULT_PAGE_SIZE = 20
DEFAULT_RANGE = timedelta(days=7)
DEFAULT_GRANULARITY = "day"


def _when(value: str | None, name: str) -> datetime | None:
    """ISO 8601 (`2026-08-01T00:00:00Z`); a value without an offset is read as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise ApiError(
            400, f"Invalid value for query param: {name}. Use ISO 8601, e.g. 2026-08-01T00:00:00Z."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/waves/v1/analytics/asr/logs", responses=error_responses(400, 401, 503))
async def list_logs(
    request: Request,
    page: int = 1,
    page_size_camel: int | None = Query(None, alias="pageSize"),
    page_size: int | None = None,
    api_key: str = Depends(require_api_key),
) -> JSONResponse:
    """E6. The SDK sends `pageSize`; `page_size` is accepted too."""
    size = page_size_camel or page_size or DEFAULT_PAGE_SIZE
    try:
        result = await jobs_service(request).list_logs(owner_of(api_key), page, size)
    except LogQueryError as exc:
        raise ApiError(400, str(exc)) from None
    return JSONResponse(result.to_wire())


@router.delete("/waves/v1/analytics/asr/history/{request_id}", responses=error_responses(401, 503))
async def delete_history(request_id: str, request: Request, api_key: str = Depends(require_api_key)) -> JSONResponse:
    """E7: soft delete; unknown or already deleted ids still answer success."""
    await jobs_service(request).delete_log(owner_of(api_key), request_id)
    return JSONResponse({"status": "success"})


@router.get("/waves/v1/analytics/asr/usage/timeseries", responses=error_responses(400, 401, 503))
async def usage_timeseries(
    request: Request,
    from_: str | None = Query(None, alias="from"),
    to: str | None = None,
    granularity: str = DEFAULT_GRANULARITY,
    api_key: str = Depends(require_api_key),
) -> JSONResponse:
    """E8: request counts per hour/day bucket; defaults to the last 7 days by day."""
    end = _when(to, "to") or datetime.now(UTC)
    start = _when(from_, "from") or end - DEFAULT_RANGE
    try:
        series = await jobs_service(request).usage_timeseries(owner_of(api_key), start, end, granularity)
    except LogQueryError as exc:
        raise ApiError(400, str(exc)) from None
    return JSONResponse(series.to_wire())
