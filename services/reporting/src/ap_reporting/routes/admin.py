"""Admin routes of the reporting service: rebuild the read models (LA officers only; rebuild.py)."""

import asyncio
from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.errors import DomainError, NotFoundError
from fastapi import APIRouter, Depends, Request

from .. import access, rebuild

router = APIRouter(prefix="/v1/admin", tags=["admin"])
FIELDS = ("rebuild_id", "generation", "status", "started_at", "finished_at", "events_applied",
          "events_skipped", "events_per_second", "lag", "eta_seconds", "error")  # fmt: skip


@router.post("/rebuilds", status_code=202)
async def start_rebuild(
    request: Request, principal: Annotated[Principal, Depends(require(*ROLES))]
) -> dict[str, Any]:
    """Rebuild every read model into a new generation from offset 0, serving reads from the
    current one meanwhile, then switch atomically and drop the old one. 409 while one runs."""
    access.POLICY.check_role(principal, "rebuild_read_models")
    runtime = request.app.state.runtime
    try:
        job = await rebuild.start(runtime, request.app.state.rebuild_gauges, principal.sub)
    except rebuild.RebuildRunningError:
        raise DomainError("a rebuild is already running") from None
    runtime.tasks.append(asyncio.create_task(job.run()))
    return {"rebuild_id": str(job.rebuild_id), "generation": job.generation, "status": "running"}


@router.get("/rebuilds/{rebuild_id}")
async def rebuild_progress(
    rebuild_id: UUID, request: Request, principal: Annotated[Principal, Depends(require(*ROLES))]
) -> dict[str, Any]:
    """A rebuild's status and progress: events applied and skipped, events/s, lag, ETA."""
    access.POLICY.check_role(principal, "rebuild_read_models")
    async with request.app.state.runtime.pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT {', '.join(FIELDS)} FROM public.read_model_rebuilds"  # noqa: S608
            " WHERE rebuild_id = $1",
            rebuild_id,
        )
    if row is None:
        raise NotFoundError(f"no rebuild {rebuild_id}")
    answer = dict(row)
    answer["rebuild_id"] = str(answer["rebuild_id"])
    for key in ("started_at", "finished_at"):
        answer[key] = answer[key].isoformat() if answer[key] else None
    return answer
