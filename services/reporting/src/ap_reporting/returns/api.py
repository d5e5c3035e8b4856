"""HTTP routes of the statutory returns: AP census (XML or CSV working file), its validation
report, and the school census AP module. Routes load, delegate to the pure modules, and record
every pupil whose identifying data leaves in identity_reads."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from ap_chassis.auth import Principal, require
from ap_chassis.bounds import Day
from ap_chassis.errors import DomainError, ForbiddenError
from fastapi import APIRouter, Depends, Query, Request, Response

from .. import repository
from . import census, school_census, validation, working_file, xml
from . import repository as returns_repository

router = APIRouter(prefix="/v1/returns", tags=["returns"])
Officer = Annotated[Principal, Depends(require("la_officer"))]
CensusDate = Annotated[Day, Query(description="census day: the third Thursday of January")]
AllowAnyDate = Annotated[
    bool, Query(description="a rehearsal on another date (marked in the header)")
]
LOCAL_LA_NUMBER = "999"  # only where CENSUS_LA_NUMBER is not set and the environment is not live


@dataclass(frozen=True)
class CensusData:
    selection: census.Selection
    identities: dict[str, dict[str, Any]]
    providers: dict[str, dict[str, Any]]


async def _census_data(conn: asyncpg.Connection, census_date: date) -> CensusData:
    start, end = census.census_period(census_date)
    facts = await repository.placement_facts_between(conn, start, end)
    extras = await returns_repository.placement_extras(conn, [f.placement_id for f in facts])
    identities = await repository.identities(conn, sorted({UUID(f.pupil_id) for f in facts}))
    providers = await repository.all_providers(conn)
    selection = census.select(
        facts, funded_by={k: v["funded_by"] for k, v in extras.items()},
        identities=identities, providers=providers, census_date=census_date,
    )  # fmt: skip
    return CensusData(selection, identities, providers)


def _la_number(request: Request) -> str:
    settings = request.app.state.runtime.settings
    configured: str | None = getattr(settings, "census_la_number", None)
    if configured is None and settings.environment == "production":
        raise DomainError(
            "CENSUS_LA_NUMBER is not configured: the return's header needs this LA's DfE number",
            field="census_la_number",
        )
    return configured or LOCAL_LA_NUMBER


@router.get("/ap-census", response_class=Response, responses={200: {"content": {
    "application/xml": {}, "text/csv": {}}}})  # fmt: skip
async def ap_census(
    request: Request,
    principal: Officer,
    census_date: CensusDate,
    format: Annotated[Literal["xml", "csv"], Query()] = "xml",
    allow_any_date: AllowAnyDate = False,
) -> Response:
    """The AP census as DfE-style XML (or `format=csv`, the same records as a working file).
    It holds identifying data: every pupil in it is recorded as read."""
    census.check_census_date(census_date, allow_any_date=allow_any_date)
    la_number = _la_number(request)
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        data = await _census_data(conn, census_date)
        records = census.records(data.selection, data.identities, data.providers)
        if format == "csv":
            body, media_type = working_file.to_csv(records).encode(), "text/csv"
        else:
            header = xml.Header(
                census_date=census_date, la_number=la_number,
                serial_no=await returns_repository.next_serial(conn, census_date),
                created_at=datetime.now(UTC), rehearsal=allow_any_date,
            )  # fmt: skip
            body, media_type = xml.build(records, header), "application/xml"
            if xml.schema_errors(body):
                raise DomainError(
                    "the return does not validate against ap_census.xsd: fix what"
                    " /v1/returns/ap-census/validation lists, then produce it again",
                    field="census_date",
                )
        await repository.record_identity_reads(
            conn, reader=principal.sub, role=principal.role,
            pupil_ids=[UUID(p) for p in data.selection.records],
            purpose=f"ap-census {census_date.isoformat()}",
        )  # fmt: skip
    filename = f"ap-census-{census_date.isoformat()}.{format}"
    return Response(
        body, media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "X-Census-Pupils": str(len(records)),
                 "X-Census-Identity-Missing": str(len(data.selection.identity_missing))},
    )  # fmt: skip


@router.get("/ap-census/validation")
async def ap_census_validation(
    request: Request, _: Officer, census_date: CensusDate, allow_any_date: AllowAnyDate = False
) -> dict[str, Any]:
    """Errors (fix before submitting) and queries (check) per pupil, by pupil id and field."""
    census.check_census_date(census_date, allow_any_date=allow_any_date)
    async with request.app.state.runtime.pool.acquire() as conn:
        data = await _census_data(conn, census_date)
    return validation.report(data.selection, data.identities, data.providers)


@router.get("/school-census-ap", response_model=None)
async def school_census_ap(
    request: Request,
    principal: Annotated[Principal, Depends(require("la_officer", "school"))],
    urn: Annotated[str, Query(pattern=r"^\d{6}$", description="the commissioning school")],
    term: Annotated[Literal["autumn", "spring", "summer"], Query()],
    year: Annotated[int, Query(ge=2000, le=2100, description="calendar year of the term")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> dict[str, Any] | Response:
    """The AP placements school `urn` arranged in the term, by the module's items. A school sees
    its own URN only. Identifying data: every pupil listed is recorded as read."""
    if principal.role == "school" and principal.urn != urn:
        raise ForbiddenError("a school sees the placements it arranged only", field="urn")
    window = school_census.term_window(term, year)
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        facts = school_census.arranged_by(
            await repository.placement_facts_between(conn, *window), urn, window
        )
        pupil_ids = sorted({UUID(f.pupil_id) for f in facts})
        identities = await repository.identities(conn, pupil_ids)
        extras = await returns_repository.placement_extras(conn, [f.placement_id for f in facts])
        rows = school_census.item_rows(
            facts, window=window, identities=identities,
            providers=await repository.all_providers(conn),
            sen_at_referral={k: v["sen_at_referral"] for k, v in extras.items()},
        )  # fmt: skip
        await repository.record_identity_reads(
            conn, reader=principal.sub, role=principal.role,
            pupil_ids=[p for p in pupil_ids if str(p) in identities],
            purpose=f"school-census-ap {urn} {term} {year}",
        )  # fmt: skip
    if format == "csv":
        return Response(
            working_file.rows_to_csv(rows, school_census.items()), media_type="text/csv",
            headers={"Content-Disposition":
                     f'attachment; filename="school-census-ap-{urn}-{term}-{year}.csv"'},
        )  # fmt: skip
    missing = sorted({r["pupil_id"] for r in rows if r["upn"] is None})
    return {
        "urn": urn,
        "term": term,
        "year": year,
        "from": window[0].isoformat(),
        "to": window[1].isoformat(),
        "placements": rows,
        "identity_missing": missing,
    }
