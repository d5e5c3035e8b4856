"""`GET /v1/audit/identity-reads`: a service's own log of reads of identifying data.

Served by each service that holds identifying data and keeps an `identity_reads` table
(reporting: returns and subject access; referral: every UPN-to-pupil_id lookup and subject
access), for auditors and LA officers: who read whose identifying data, when and why.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from .auth import Principal, require
from .errors import InvalidCommandError


def _read(r: Any) -> dict[str, str]:
    return {
        "read_at": r["read_at"].isoformat(),
        "reader": r["reader"],
        "role": r["role"],
        "pupil_id": str(r["pupil_id"]),
        "purpose": r["purpose"],
    }


def audit_router() -> APIRouter:
    """The identity-read audit route, served from this service's own log."""
    router = APIRouter(prefix="/v1/audit", tags=["audit"])

    @router.get("/identity-reads")
    async def identity_reads(
        request: Request,
        _: Annotated[Principal, Depends(require("auditor", "la_officer"))],
        pupil_id: Annotated[UUID | None, Query()] = None,
        start: Annotated[date | None, Query(alias="from", description="first day (UTC)")] = None,
        end: Annotated[
            date | None, Query(alias="to", description="last day (UTC), inclusive")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
    ) -> dict[str, Any]:
        """Who read whose identifying data, when and why; oldest first, at most `limit`."""
        if start and end and end < start:
            raise InvalidCommandError("to cannot be before from", field="to")
        since = datetime.combine(start, time(), UTC) if start else None
        last = end if end is not None and end < date.max else None  # date.max: no upper bound
        until = datetime.combine(last + timedelta(days=1), time(), UTC) if last else None
        rows = await request.app.state.runtime.pool.fetch(
            "SELECT read_at, reader, role, pupil_id, purpose FROM identity_reads"
            " WHERE ($1::uuid IS NULL OR pupil_id = $1)"
            " AND ($2::timestamptz IS NULL OR read_at >= $2)"
            " AND ($3::timestamptz IS NULL OR read_at < $3)"
            " ORDER BY read_at, id LIMIT $4",
            pupil_id, since, until, limit,
        )  # fmt: skip
        return {
            "service": request.app.state.settings.service_name,
            "pupil_id": str(pupil_id) if pupil_id else None,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "reads": [_read(r) for r in rows],
        }

    return router
