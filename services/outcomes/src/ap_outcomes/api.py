"""HTTP routes of the outcomes service: translate a request into a command and dispatch it.

A role that can never do an action is refused (403) before anything is looked up; the rest of
the access rule runs in the command's unit of work (`handlers.authorize_*`, asking `access`).
"""

from typing import Annotated
from uuid import UUID

from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.http import IdempotencyKey, dispatch
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import access, commands, handlers
from .uow import OutcomesUnitOfWork

router = APIRouter(prefix="/v1", tags=["outcomes"])
Caller = Annotated[Principal, Depends(require(*ROLES))]


@router.post("/reviews", status_code=201, response_model=commands.ReviewRecorded)
async def record_review(
    body: commands.RecordReview,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a placement review; the placement must be known here and open on the date."""
    access.POLICY.check_role(principal, "review")
    return await dispatch(
        request, principal, handler=handlers.record_review, command=body,
        unit_of_work=OutcomesUnitOfWork, body=body, idempotency_key=idempotency_key,
        authorize=handlers.authorize_review, status_code=201,
    )  # fmt: skip


@router.post("/reintegrations", status_code=201, response_model=commands.ReintegrationRecorded)
async def record_reintegration(
    body: commands.RecordReintegration,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a return to school: the LA, or the commissioner or provider of the placement."""
    access.POLICY.check_role(principal, "reintegrate")
    return await dispatch(
        request, principal, handler=handlers.record_reintegration, command=body,
        unit_of_work=OutcomesUnitOfWork, body=body, idempotency_key=idempotency_key,
        authorize=handlers.authorize_reintegration, status_code=201,
    )  # fmt: skip


@router.post(
    "/reintegrations/{reintegration_id}/sustainment", response_model=commands.SustainmentChecked
)
async def check_sustainment(
    reintegration_id: UUID,
    body: commands.SustainmentIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    access.POLICY.check_role(principal, "check_sustainment")
    command = commands.CheckSustainment(
        reintegration_id=reintegration_id, checked_on=body.checked_on, sustained=body.sustained
    )
    return await dispatch(
        request, principal, handler=handlers.check_sustainment, command=command,
        unit_of_work=OutcomesUnitOfWork, body=body, idempotency_key=idempotency_key,
        authorize=handlers.authorize_sustainment,
    )  # fmt: skip


@router.post("/destinations", status_code=201, response_model=commands.DestinationConfirmed)
async def confirm_destination(
    body: commands.ConfirmDestination,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Confirm a post-16 destination; the activity code comes from the destination code set."""
    access.POLICY.check_role(principal, "confirm_destination")
    return await dispatch(
        request, principal, handler=handlers.confirm_destination, command=body,
        unit_of_work=OutcomesUnitOfWork, body=body, idempotency_key=idempotency_key,
        status_code=201,
    )  # fmt: skip
