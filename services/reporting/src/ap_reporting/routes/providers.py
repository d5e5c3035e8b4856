"""Reporting routes for providers: per-provider outcomes and sufficiency.

Figures leave the LA suppressed (fewer than 5 pupils behind a figure: withheld): for the
analyst and provider roles and in every CSV export; an LA officer's JSON is unsuppressed.
"""

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from ap_chassis.auth import Principal, require
from ap_chassis.bounds import Day
from ap_chassis.errors import InvalidCommandError, NotFoundError
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from .. import provider_repository as repo
from .. import report_queries
from ..policy import policy
from ..provider_figures import suppress, to_csv
from ..provider_outcomes import provider_outcomes
from ..provider_view import ProviderView, project_provider
from ..sufficiency import answer

router = APIRouter(prefix="/v1", tags=["providers"])
From = Annotated[Day, Query(alias="from", description="first day of the period")]
To = Annotated[Day, Query(alias="to", description="last day of the period (inclusive)")]
Format = Annotated[Literal["json", "csv"], Query()]


def _period(start: date, end: date) -> None:
    if end < start:
        raise InvalidCommandError("to cannot be before from", field="to")


def _answer(figures: dict[str, Any], principal: Principal, fmt: str, name: str) -> Response:
    leaves_the_la = fmt == "csv" or principal.role != "la_officer"
    figures = (
        {**suppress(figures), "suppressed_below_pupils": policy().suppress_below_pupils}
        if leaves_the_la
        else figures
    )
    if fmt == "csv":
        return PlainTextResponse(
            to_csv(figures), media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )  # fmt: skip
    return JSONResponse(figures)


def _profile(view: ProviderView) -> dict[str, Any]:
    return {
        "name": view.name, "registered": view.registered,
        "inspection": view.inspection and dict(
            zip(("inspected_on", "judgement", "judgement_text"), view.inspection, strict=True)
        ),
        "checks": [dict(zip(("check", "checked_on", "expires_on", "outcome"), c, strict=True))
                   for c in view.checks],
        "approval_overrides": view.overrides,
        "beyond_capacity_flags": len(view.capacity_flags),
    }  # fmt: skip


@router.get("/providers/{provider_id}/outcomes", response_model=None)
async def outcomes_of_provider(
    provider_id: UUID,
    request: Request,
    principal: Annotated[Principal, Depends(require("la_officer", "analyst", "provider"))],
    start: From,
    end: To,
    format: Format = "json",
) -> Response:
    """Attendance, reviews on time, reintegrations and sustainment, destinations, breakdowns and
    cost per pupil-week of the provider's pupils in the period, each with its pupils."""
    _period(start, end)
    if principal.role == "provider" and principal.provider_id != str(provider_id):
        raise NotFoundError(f"no provider {provider_id}")
    async with request.app.state.runtime.pool.acquire() as conn:
        view = project_provider(str(provider_id), await repo.provider_events(conn, provider_id))
        if not view.known:  # its events, if any, are held until the registration arrives
            raise NotFoundError(f"no provider {provider_id}")
        pupils = await repo.pupils_of_provider(conn, provider_id)
        events = await repo.journey_events_of_pupils(conn, pupils)
    figures = {
        "from": start.isoformat(), "to": end.isoformat(), **_profile(view),
        **provider_outcomes(str(provider_id), events, start, end),
    }  # fmt: skip
    return _answer(figures, principal, format, f"provider-{provider_id}-outcomes")


@router.get("/sufficiency", response_model=None)
async def sufficiency_report(
    request: Request,
    principal: Annotated[Principal, Depends(require("la_officer", "analyst"))],
    start: From,
    end: To,
    format: Format = "json",
) -> Response:
    """Demand and supply by tier and phase: referrals, time to decision and to placement,
    pupils waiting on the last day, places offered against used per provider."""
    _period(start, end)
    async with request.app.state.runtime.pool.acquire() as conn:
        counts = await report_queries.sufficiency_counts(conn, start, end)
        held = await repo.provider_events(conn, None)
    by_provider: dict[str, list[Any]] = {}
    for e in held:
        by_provider.setdefault(str(e.data["provider_id"]), []).append(e)
    views = {p: project_provider(p, evs) for p, evs in by_provider.items()}
    figures = {
        "from": start.isoformat(), "to": end.isoformat(),
        **answer(counts, {p: v for p, v in views.items() if v.known}, start, end),
    }  # fmt: skip
    return _answer(figures, principal, format, "sufficiency")
