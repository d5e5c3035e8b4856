"""Data-protection routes of the referral service (docs/architecture.md#erasure)."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import Principal
from ap_chassis.data_protection import data_protection_routers
from ap_chassis.http import IdempotencyKey
from ap_chassis.retention import RetentionSettings
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import audit_sql, handlers, retention, subject_access
from .access import POLICY
from .api import run
from .commands import ErasePupil
from .models import ErasureIn
from .results import ErasureResult

router = APIRouter(prefix="/v1/pupils", tags=["data protection"])
MayErase = Annotated[Principal, Depends(POLICY.requires("erase"))]
MayReadAll = Annotated[Principal, Depends(POLICY.requires("subject_access"))]


@router.post("/{pupil_id}/erasure", status_code=202, response_model=ErasureResult)
async def erase(
    pupil_id: UUID,
    body: ErasureIn,
    request: Request,
    principal: MayErase,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Erase the pupil's identifying details everywhere; the pseudonymous journey stays."""
    command = ErasePupil(pupil_id, "request", principal.sub, principal.role, body.reason)
    return await run(
        request, principal, body, idempotency_key, handlers.erase_pupil, command, status_code=202
    )


@router.get("/{pupil_id}/subject-access")
async def subject_access_request(
    pupil_id: UUID, request: Request, principal: MayReadAll
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
