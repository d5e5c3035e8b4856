"""Data-protection routes of the referral service (api.md "Data protection")."""

from typing import Annotated
from uuid import UUID

from ap_chassis.auth import Principal, require
from ap_chassis.http import IdempotencyKey, execute
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import privacy

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
