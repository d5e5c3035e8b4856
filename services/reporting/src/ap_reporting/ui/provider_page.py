"""One page per provider: /ui/providers/{id}. What reporting knows of it: the
per-provider outcomes of `GET /v1/providers/{id}/outcomes` (the same `provider_outcomes`) and its
places offered against used (the same `sufficiency`), with that API's roles and suppression.
Approval status is the placement service's and is not shown here."""

from typing import Any
from uuid import UUID

from ap_chassis.auth import Role
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .. import provider_repository as repo
from .. import report_queries, repository
from ..policy import policy
from ..provider_figures import suppress
from ..provider_outcomes import provider_outcomes
from ..provider_view import project_provider
from ..sufficiency import Demand, answer
from . import pages, routes
from .tables import Cell, Table

ROLES: tuple[Role, ...] = ("la_officer", "analyst", "provider")  # as the outcomes API
router = APIRouter(prefix="/ui", include_in_schema=False)
routes.PAGE_ROLES["provider"] = ROLES
MARK = "[c]"


def build(name: str, figures: dict[str, Any], supply: list[dict[str, Any]], filters: Any) -> Any:
    """The page from the API's figures (already suppressed for the roles it suppresses). Pure."""
    page = pages.Page(f"Provider: {name}")
    page.figures = [
        ("pupils", "Pupils placed in the period", _cell(figures["placements"], "pupils")),
        ("inspection", "Latest inspection", str((figures.get("inspection") or {}).get(
            "judgement_text") or "not known")),
        ("flags", "Placements flagged beyond capacity", str(figures["beyond_capacity_flags"])),
    ]  # fmt: skip
    rows: list[tuple[Cell, ...]] = []
    for block in ("placements", "attendance", "reviews", "reintegration", "destinations",
                  "breakdowns", "cost"):  # fmt: skip
        for measure in figures[block]:
            if measure != "suppressed":
                rows.append((block.replace("_", " "), measure, _cell(figures[block], measure)))
    page.tables.append(
        Table("provider-outcomes", "Outcomes of the provider's pupils",
              ("Area", "Measure", "Value"), rows, numeric=frozenset({2}))
    )  # fmt: skip
    page.tables.append(
        Table(
            "provider-capacity", "Places offered against places used (last day of the period)",
            ("Tier", "Phase", "Places offered", "Places used"),
            [(f"Tier {s['tier']}", s["phase"], _cell(s, "places_offered"), _cell(s, "places_used"))
             for s in supply],
            numeric=frozenset({2, 3}),
        )
    )  # fmt: skip
    if any(b.get("suppressed") for b in (*figures.values(), *supply) if isinstance(b, dict)):
        page.notes.append(
            f"Figures marked {MARK} are suppressed: fewer than"
            f" {policy().suppress_below_pupils} pupils are behind them. LA officers see them."
        )
    page.notes.append(
        f"Period {filters.start.isoformat()} to {filters.end.isoformat()}. Approval status and"
        " contracts are held by the placement service."
    )
    return page


def _cell(block: dict[str, Any], key: str) -> Any:
    value = block.get(key)
    return MARK if block.get("suppressed") and value is None else value


@router.get("/providers/{provider_id}", response_class=HTMLResponse)
@routes.guarded
async def provider(
    request: Request, provider_id: str, filters: routes.PeriodFilters, export: routes.Exports
) -> Response:
    principal, token = await routes._signed_in(request, "provider")
    try:
        pid = UUID(provider_id)
    except ValueError:
        raise routes.UiError(404, "no such provider") from None
    if principal.role == "provider" and principal.provider_id != str(pid):
        raise routes.UiError(404, "no such provider that you may see")
    async with request.app.state.runtime.pool.acquire() as conn:
        view = project_provider(str(pid), await repo.provider_events(conn, pid))
        if not view.known:
            raise routes.UiError(404, "no such provider")
        pupils = await repo.pupils_of_provider(conn, pid)
        events = await repo.journey_events_of_pupils(conn, pupils)
        used = await report_queries.places_used(conn, filters.end, str(pid))
        providers = await repository.all_providers(conn)
    start, end = filters.start, filters.end
    figures = {**provider_outcomes(str(pid), events, start, end),
               "inspection": view.inspection and {"judgement_text": view.inspection[2]},
               "beyond_capacity_flags": len(view.capacity_flags)}  # fmt: skip
    supply = answer(Demand({}, {}, {}, {}, 0, {}, used), {str(pid): view}, start, end)["supply"]
    supply = [s for s in supply if s["provider_id"] == str(pid)]
    if principal.role != "la_officer":  # as the API: figures leaving the LA are suppressed
        figures, supply = suppress(figures), suppress(supply)
    page = build(view.name or str(pid), figures, supply, filters)
    return routes._respond(request, principal, token, page, "provider", None, export, providers)
