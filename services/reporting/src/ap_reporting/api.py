"""HTTP routes of the reporting service: read models only."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ap_chassis.auth import Principal, require
from ap_chassis.errors import InvalidCommandError, NotFoundError
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from . import census, projection, reports, repository

router = APIRouter(prefix="/v1", tags=["reports"])
StatusFilter = Literal[projection.STATUSES]  # type: ignore[valid-type]


@router.get("/pupils/{pupil_id}/timeline")
async def timeline(
    pupil_id: UUID,
    request: Request,
    principal: Annotated[
        Principal, Depends(require("la_officer", "auditor", "school", "provider"))
    ],
) -> dict[str, Any]:
    """A pupil's journey, every event in business-time order, and their status now."""
    async with request.app.state.runtime.pool.acquire() as conn:
        state = await repository.get_state(conn, pupil_id)
        if state is None or not projection.visible_to(
            state, role=principal.role, urn=principal.urn, provider_id=principal.provider_id
        ):
            raise NotFoundError(f"no journey for pupil {pupil_id}")
        rows = await repository.pupil_events(conn, pupil_id)
    return {
        "pupil_id": str(pupil_id),
        "status": state.status,
        "events": [
            {
                "event_id": str(r["event_id"]),
                "type": r["type"],
                "occurred_at": r["occurred_at"].isoformat(),
                "recorded_at": r["recorded_at"].isoformat(),
                "source": r["source"],
                "data": r["data"],
            }
            for r in rows
        ],
    }


@router.get("/caseload")
async def caseload(
    request: Request,
    principal: Annotated[
        Principal, Depends(require("la_officer", "analyst", "auditor", "school", "provider"))
    ],
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
    return {
        "as_of": datetime.now(UTC).isoformat(),
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_tier": by_tier,
    }


Aggregates = Annotated[Principal, Depends(require("la_officer", "analyst"))]
From = Annotated[date, Query(alias="from", description="first day of the period")]
To = Annotated[date, Query(alias="to", description="last day of the period (inclusive)")]


def _period(start: date, end: date) -> None:
    if end < start:
        raise InvalidCommandError("to cannot be before from", field="to")


@router.get("/costs")
async def costs(
    request: Request,
    _: Aggregates,
    start: From,
    end: To,
    by: Annotated[reports.GroupBy, Query()] = "commissioner",
) -> dict[str, Any]:
    """What AP cost in the period, by commissioner, provider or tier (the api.md cost rule)."""
    _period(start, end)
    async with request.app.state.runtime.pool.acquire() as conn:
        facts = await repository.placement_facts_between(conn, start, end)
    rows = reports.cost_rows(facts, start, end, by)
    return {"from": start.isoformat(), "to": end.isoformat(), "by": by, "rows": rows,
            "placements_cost_unknown": sum(r["placements_cost_unknown"] for r in rows)}  # fmt: skip


@router.get("/outcomes")
async def outcomes(request: Request, _: Aggregates, start: From, end: To) -> dict[str, Any]:
    """Reintegrations (and how many were sustained), attendance, destinations by group."""
    _period(start, end)
    async with request.app.state.runtime.pool.acquire() as conn:
        events = await repository.outcome_events(conn, start, end)
    return {"from": start.isoformat(), "to": end.isoformat(),
            **reports.outcomes_summary(events, start, end)}  # fmt: skip


@router.get("/returns/ap-census", response_class=PlainTextResponse)
async def ap_census(
    request: Request,
    principal: Annotated[Principal, Depends(require("la_officer"))],
    census_date: Annotated[date, Query(description="census day: third Thursday of January")],
) -> PlainTextResponse:
    """The AP census CSV. It holds identifying data: every pupil in it is recorded as read."""
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        facts = await repository.placement_facts_between(conn, census_date, census_date)
        in_scope = sorted({UUID(f.pupil_id) for f in facts if census.in_scope(f, census_date)})
        rows = census.rows(
            facts, await repository.identities(conn, in_scope),
            await repository.all_providers(conn), census_date,
        )  # fmt: skip
        await repository.record_identity_reads(
            conn, reader=principal.sub, role=principal.role, pupil_ids=in_scope,
            purpose=f"ap-census {census_date.isoformat()}",
        )  # fmt: skip
    filename = f"ap-census-{census_date.isoformat()}.csv"
    return PlainTextResponse(
        census.to_csv(rows), media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip
