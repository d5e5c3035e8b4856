"""Data-protection routes of the referral service (api.md "Data protection")."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import Principal, require
from ap_chassis.data_protection import data_protection_routers
from ap_chassis.http import IdempotencyKey, execute
from ap_chassis.retention import RetentionSettings
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import audit_sql, privacy, retention, subject_access

router = APIRouter(prefix="/v1/pupils", tags=["data protection"])
LaOfficer = Annotated[Principal, Depends(require("la_officer"))]


@router.post("/{pupil_id}/erasure", status_code=202)
async def erase(
    pupil_id: UUID,
    body: privacy.ErasureIn,
    request: Request,
    principal: LaOfficer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Erase the pupil's identifying details everywhere; the pseudonymous journey stays."""
    return await execute(
        privacy.request_erasure, request, principal, body, idempotency_key, pupil_id=pupil_id
    )


@router.get("/{pupil_id}/subject-access")
async def subject_access_request(
    pupil_id: UUID, request: Request, principal: LaOfficer
) -> dict[str, Any]:
    """Everything held about the pupil across services, as one document (an identity read)."""
    return await subject_access.gather(request, principal, pupil_id)


def routers(rules: RetentionSettings) -> list[APIRouter]:
    """Everything data protection adds to the referral service, for its composition root."""
    return [
        router,
        *data_protection_routers(
            "referral", on_read=audit_sql.record_held_data_read, job=retention.run, rules=rules,
            audit=True,
        ),
    ]  # fmt: skip
