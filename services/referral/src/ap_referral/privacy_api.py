"""Data-protection routes of the referral service (docs/architecture.md#erasure)."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import Principal
from ap_chassis.command_route import CommandRoutes
from ap_chassis.data_protection import data_protection_routers
from ap_chassis.http import nothing_to_load
from ap_chassis.retention import RetentionSettings
from fastapi import APIRouter, Depends, Request

from . import audit_sql, handlers, retention, subject_access
from .access import POLICY
from .commands import ErasePupil
from .models import ErasureIn
from .results import ErasureResult
from .uow import ReferralUnitOfWork

router = APIRouter(prefix="/v1/pupils", tags=["data protection"])
writes = CommandRoutes(router, unit_of_work=ReferralUnitOfWork, policy=POLICY)
MayReadAll = Annotated[Principal, Depends(POLICY.requires("subject_access"))]


def erasure_command(body: ErasureIn, pupil_id: UUID, principal: Principal) -> ErasePupil:
    """An officer's erasure request: the pupil the path names, who asks, and why."""
    return ErasePupil(pupil_id, "request", principal.sub, principal.role, body.reason)


writes.post(
    "/{pupil_id}/erasure", body=ErasureIn, command=erasure_command, action="erase",
    authorize=nothing_to_load, handler=handlers.erase_pupil, answer=ErasureResult,
    status_code=202, name="erase",
)  # fmt: skip


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
