"""HTTP routes of the outcomes service: parse, authorise, delegate to a handler, answer."""

from typing import Annotated
from uuid import UUID

from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.http import IdempotencyKey, execute
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import access, handlers
from .models import DestinationIn, ReintegrationIn, ReviewIn, SustainmentIn

router = APIRouter(prefix="/v1", tags=["outcomes"])
Caller = Annotated[Principal, Depends(require(*ROLES))]


@router.post("/reviews", status_code=201)
async def record_review(
    body: ReviewIn, request: Request, principal: Caller, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Record a placement review; the placement must be known here and open on the date."""
    access.POLICY.check_role(principal, "review")
    return await execute(
        handlers.record_review,
        request,
        principal,
        body,
        idempotency_key,
        authorize=handlers.authorize_review,
    )


@router.post("/reintegrations", status_code=201)
async def record_reintegration(
    body: ReintegrationIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a return to school: the LA, or the commissioner or provider of the placement."""
    access.POLICY.check_role(principal, "reintegrate")
    return await execute(
        handlers.record_reintegration,
        request,
        principal,
        body,
        idempotency_key,
        authorize=handlers.authorize_reintegration,
    )


@router.post("/reintegrations/{reintegration_id}/sustainment")
async def check_sustainment(
    reintegration_id: UUID,
    body: SustainmentIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    access.POLICY.check_role(principal, "check_sustainment")
    return await execute(
        handlers.check_sustainment,
        request,
        principal,
        body,
        idempotency_key,
        authorize=handlers.authorize_sustainment,
        reintegration_id=reintegration_id,
    )


@router.post("/destinations", status_code=201)
async def confirm_destination(
    body: DestinationIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Confirm a post-16 destination; the activity code comes from the destination code set."""
    access.POLICY.check_role(principal, "confirm_destination")
    return await execute(handlers.confirm_destination, request, principal, body, idempotency_key)
