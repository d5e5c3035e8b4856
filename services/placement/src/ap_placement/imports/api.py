"""HTTP routes of bulk import (docs/http-api.md#bulk-import): thin, the work is in service.py."""

import csv
import hashlib
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from ap_chassis.access import ALLOW
from ap_chassis.auth import Principal
from ap_chassis.errors import InvalidCommandError, NotFoundError
from ap_chassis.problems import ProblemError
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from .. import access
from . import layouts, repository, service
from .parse import FileRefusedError, sniff
from .template import workbook
from .validate import Scope

router = APIRouter(prefix="/v1/imports", tags=["imports"])
Importer = Annotated[Principal, Depends(access.POLICY.requires("import"))]
LayoutName = Literal["school_census_ap", "journey"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_LIMIT = 10_000  # report lines in the JSON answer; report.csv has them all


@router.get("/template", response_class=Response)
async def template(_: Importer, layout: Annotated[LayoutName, Query()]) -> Response:
    """An XLSX with the layout's headers, validation lists and an example row."""
    return Response(
        workbook(layouts.layout(layout)),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{layout}-template.xlsx"'},
    )


@router.post("", status_code=202)
async def start_import(
    request: Request,
    principal: Importer,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or Windows-1252) or XLSX")],
    layout: Annotated[LayoutName, Form()],
    dry_run: Annotated[bool, Form()] = False,
    school_urn: Annotated[str | None, Form(pattern=r"^\d{6}$")] = None,
) -> dict[str, str]:
    """Validate every row, then apply the valid ones; poll GET /v1/imports/{import_id}."""
    limit = request.app.state.settings.import_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ProblemError(413, "Payload too large", f"the file is over {limit} bytes"
                           " (IMPORT_MAX_BYTES): split it", errors=[{"field": "file",
                           "message": f"at most {limit} bytes"}])  # fmt: skip
    try:
        file_format = sniff(data)
    except FileRefusedError as exc:
        raise InvalidCommandError(str(exc), field="file") from None
    scope = import_scope(principal, layout, school_urn)
    import_id = uuid4()
    async with request.app.state.runtime.pool.acquire() as conn:
        await repository.create_import(conn, {
            "import_id": import_id, "principal": principal.sub, "role": principal.role,
            "school_urn": scope.commissioning_urn or scope.urn, "layout": layout,
            "dry_run": dry_run, "file_sha256": hashlib.sha256(data).hexdigest(),
            "file_bytes": len(data), "file_format": file_format,
        })  # fmt: skip
    job = service.Job(import_id, layout, scope, principal,
                      request.headers.get("authorization", ""), dry_run)  # fmt: skip
    service.start(request.app, job, data)
    return {"import_id": str(import_id)}


def import_scope(principal: Principal, layout: str, school_urn: str | None) -> Scope:
    """A school imports as itself; the LA names the commissioning school of a census file."""
    named = None if school_urn is None else access.CommissionerRef("school", school_urn)
    if access.can(principal, "import", named) != ALLOW:
        raise ProblemError(403, "Forbidden", "a school imports only its own census rows")
    if principal.role == "school":
        return Scope("school", principal.urn, principal.urn)
    if layout == "school_census_ap" and school_urn is None:
        raise InvalidCommandError(
            "school_urn is required: the school that arranged these placements", field="school_urn"
        )
    return Scope(principal.role, None, school_urn)


async def _visible(request: Request, import_id: UUID, principal: Principal) -> dict[str, Any]:
    async with request.app.state.runtime.pool.acquire() as conn:
        record = await repository.get_import(conn, import_id)
    if record is None or not may_see(record, principal):
        raise NotFoundError(f"no import {import_id}")
    return record


def may_see(record: dict[str, Any], principal: Principal) -> bool:
    """The LA sees every import; a school the imports it made as itself (access.py)."""
    made = access.ImportRef(record["role"], record["school_urn"], record["principal"])
    return access.can(principal, "read_import", made) == ALLOW


@router.get("/{import_id}")
async def get_import(import_id: UUID, request: Request, principal: Importer) -> dict[str, Any]:
    """Status, counts, progress and the row-by-row report (row 1 is the header)."""
    record = await _visible(request, import_id, principal)
    async with request.app.state.runtime.pool.acquire() as conn:
        lines = await repository.report(conn, import_id, limit=REPORT_LIMIT + 1)
    now = datetime.now(UTC)
    status = service.shown_status(record, now)
    elapsed = ((record["finished_at"] or now) - record["created_at"]).total_seconds()
    return {
        "import_id": str(import_id),
        "status": status,
        "layout": record["layout"],
        "dry_run": record["dry_run"],
        "file_sha256": record["file_sha256"],
        "imported_by": record["principal"],
        "created_at": record["created_at"].isoformat(),
        "finished_at": record["finished_at"] and record["finished_at"].isoformat(),
        **{k: record[k] for k in ("rows", "applied", "unchanged", "refused", "awaiting")},
        "progress": progress(record, elapsed),
        "report": [dict(r) for r in lines[:REPORT_LIMIT]],
        "report_truncated": len(lines) > REPORT_LIMIT,
    }


def progress(record: dict[str, Any], elapsed: float) -> dict[str, Any]:
    """Rows validated and commands applied so far, the rate and the time left at that rate."""
    applying = record["applying_at"]
    apply_seconds = (
        ((record["finished_at"] or datetime.now(UTC)) - applying).total_seconds()
        if applying else 0.0
    )  # fmt: skip
    done, total = record["steps_done"], record["steps_total"]
    rate = done / apply_seconds if apply_seconds > 0 else None
    return {
        "rows_validated": record["validated"],
        "rows_total": record["rows"],
        "commands_applied": done,
        "commands_total": total,
        "commands_per_second": rate and round(rate, 1),
        "eta_seconds": round((total - done) / rate, 1) if rate else None,
        "elapsed_seconds": round(elapsed, 1),
    }


@router.get("/{import_id}/report.csv", response_class=Response)
async def report_csv(import_id: UUID, request: Request, principal: Importer) -> Response:
    await _visible(request, import_id, principal)
    async with request.app.state.runtime.pool.acquire() as conn:
        lines = await repository.report(conn, import_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "field", "message"])
    writer.writerows([(r["row"] if r["row"] is not None else "", r["field"], r["message"])
                      for r in lines])  # fmt: skip
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-report.csv"'},
    )
