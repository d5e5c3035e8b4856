"""Proposed identity changes of a known pupil: listed and applied by LA officers only."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.command_route import CommandRoutes
from ap_chassis.errors import NotFoundError
from fastapi import APIRouter, Depends, Request

from . import access, audit_sql, handlers, repository
from .commands import ApplyIdentityChange
from .models import IdentityChangeApplyIn
from .results import IdentityChangeApplied
from .uow import ReferralUnitOfWork

router = APIRouter(prefix="/v1/pupils", tags=["identity"])
writes = CommandRoutes(router, unit_of_work=ReferralUnitOfWork, policy=access.POLICY)
Caller = Annotated[Principal, Depends(require(*ROLES))]


@router.get("/{pupil_id}/identity-changes")
async def list_identity_changes(
    pupil_id: UUID, request: Request, principal: Caller
) -> dict[str, Any]:
    """Every proposed and applied change of the pupil's identity, with old and new values."""
    access.POLICY.check_role(principal, "review_identity")
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        if await repository.PgPupils(conn).by_id(pupil_id) is None:
            raise NotFoundError(f"no pupil {pupil_id}")
        rows = await repository.identity_changes(conn, pupil_id)
        await audit_sql.record_read(conn, principal, pupil_id, "identity changes")
    return {
        "pupil_id": str(pupil_id),
        "changes": [
            {
                "change_id": str(r["change_id"]),
                "referral_id": r["referral_id"] and str(r["referral_id"]),
                "proposed_at": r["proposed_at"].isoformat(),
                "status": r["status"],
                "old": r["old_values"],
                "new": r["new_values"],
                "applied_at": r["applied_at"] and r["applied_at"].isoformat(),
            }
            for r in rows
        ],
    }


def apply_command(
    body: IdentityChangeApplyIn, pupil_id: UUID, change_id: UUID
) -> ApplyIdentityChange:
    """Apply the change the path names (the request has no body)."""
    return ApplyIdentityChange(pupil_id, change_id)


writes.post(
    "/{pupil_id}/identity-changes/{change_id}/apply", body=IdentityChangeApplyIn,
    command=apply_command, action="review_identity", authorize=handlers.the_caller,
    handler=handlers.apply_identity_change, answer=IdentityChangeApplied,
)  # fmt: skip
