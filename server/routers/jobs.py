"""Job polling (extension, issue 6): `GET /waves/v1/stt/jobs/{request_id}` shows state and, when done, the result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from server.auth import require_api_key
from server.errors import ApiError
from server.jobs.records import owner_of
from server.jobs.worker import JobsService
from server.schemas import error_responses

router = APIRouter()


def jobs_service(request: Request) -> JobsService:
    service: JobsService | None = getattr(request.app.state, "jobs", None)
    if service is None:
        raise ApiError(503, "Async jobs are not enabled on this server.")
    return service


@router.get("/waves/v1/stt/jobs/{request_id}", responses=error_responses(401, 404, 503))
async def get_job(request_id: str, request: Request, api_key: str = Depends(require_api_key)) -> JSONResponse:
    job = await jobs_service(request).get(request_id)
    # Another key's job answers exactly like an unknown one, so ids cannot be probed.
    if job is None or job.owner != owner_of(api_key):
        raise ApiError(404, f"No job with request_id '{request_id}'.")
    return JSONResponse(job.public_view())
