"""HTTP routes of the reporting service: read models only."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ap_chassis.access import enforce
from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.bounds import Day
from ap_chassis.errors import InvalidCommandError
from fastapi import APIRouter, Depends, Query, Request

from .. import access, disclosure, projection, report_queries, reports, repository
from ..destinations import destination_flags

router = APIRouter(prefix="/v1", tags=["reports"])
StatusFilter = Literal[projection.STATUSES]  # type: ignore[valid-type]


@router.get("/pupils/{pupil_id}/timeline")
async def timeline(
    pupil_id: UUID,
    request: Request,
    principal: Annotated[Principal, Depends(require(*ROLES))],
) -> dict[str, Any]:
    """A pupil's journey in business-time order and their status: a school or provider sees
    only the events it is party to (access.py), and the status those events give."""
    access.POLICY.check_role(principal, "read_timeline")
    async with request.app.state.runtime.pool.acquire() as conn:
        state = await repository.get_state(conn, pupil_id)
        rows = await repository.pupil_events(conn, pupil_id) if state is not None else []
    outcome, visible, status = access.journey_view(
        principal, state, repository.as_journey_events(rows)
    )
    enforce(outcome, action="read", what=f"journey for pupil {pupil_id}")
    shown = {e.event_id for e in visible}
    derived = destination_flags(visible)
    return {
        "pupil_id": str(pupil_id),
        "status": status,
        "events": [
            {
                "event_id": str(r["event_id"]),
                "type": r["type"],
                "occurred_at": r["occurred_at"].isoformat(),
                "recorded_at": r["recorded_at"].isoformat(),
                "source": r["source"],
                "data": r["data"],
                # a destination's group from its code and its sustained flag, worked out on read
                **({"derived": derived[r["event_id"]]} if r["event_id"] in derived else {}),
            }
            for r in rows
            if r["event_id"] in shown
        ],
    }


@router.get("/caseload")
async def caseload(
    request: Request,
    principal: Annotated[Principal, Depends(access.POLICY.requires("read_caseload"))],
    status: Annotated[StatusFilter | None, Query()] = None,
    tier: Annotated[int | None, Query(ge=1, le=3)] = None,
    school_urn: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> dict[str, Any]:
    """How many pupils are in each status and tier now; a school or provider sees its own."""
    provider_id = None
    if principal.role == "school":
        school_urn = principal.urn
    elif principal.role == "provider":
        provider_id = principal.provider_id
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await repository.caseload(
            conn, status=status, tier=tier, school_urn=school_urn, provider_id=provider_id
        )
    by_status: dict[str, int] = {}
    by_tier: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + r["n"]
        key = str(r["tier"]) if r["tier"] is not None else "unknown"
        by_tier[key] = by_tier.get(key, 0) + r["n"]
    answer = {
        "as_of": datetime.now(UTC).isoformat(),
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_tier": by_tier,
    }
    return disclosure.for_role(principal.role, "caseload", answer)


Aggregates = Annotated[Principal, Depends(access.POLICY.requires("read_aggregates"))]
From = Annotated[Day, Query(alias="from", description="first day of the period")]
To = Annotated[Day, Query(alias="to", description="last day of the period (inclusive)")]


def _period(start: date, end: date) -> None:
    if end < start:
        raise InvalidCommandError("to cannot be before from", field="to")


@router.get("/costs")
async def costs(
    request: Request,
    principal: Aggregates,
    start: From,
    end: To,
    by: Annotated[reports.GroupBy, Query()] = "commissioner",
) -> dict[str, Any]:
    """What AP cost in the period, by commissioner, provider or tier (the cost rule of
    docs/http-api.md)."""
    _period(start, end)
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await report_queries.cost_rows(conn, start, end, by)
    unknown = sum(r["placements_cost_unknown"] for r in rows)
    answer = {"from": start.isoformat(), "to": end.isoformat(), "by": by, "rows": rows,
              "placements_cost_unknown": unknown}  # fmt: skip
    return disclosure.for_role(principal.role, "costs", answer)


@router.get("/outcomes")
async def outcomes(request: Request, principal: Aggregates, start: From, end: To) -> dict[str, Any]:
    """Reintegrations (and how many were sustained), attendance, destinations by group."""
    _period(start, end)
    async with request.app.state.runtime.pool.acquire() as conn:
        summary = await report_queries.outcomes_summary(conn, start, end)
    answer = {"from": start.isoformat(), "to": end.isoformat(), **summary}
    return disclosure.for_role(principal.role, "outcomes", answer)
