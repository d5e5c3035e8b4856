"""HTTP routes of the outcomes service: parse, authorise, delegate to a handler, answer."""

from typing import Annotated
from uuid import UUID

from ap_chassis.auth import Principal, require
from ap_chassis.http import IdempotencyKey, execute
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import handlers
from .models import DestinationIn, ReintegrationIn, ReviewIn, SustainmentIn

router = APIRouter(prefix="/v1", tags=["outcomes"])
Recorder = Annotated[Principal, Depends(require("la_officer", "school", "provider"))]


@router.post("/reviews", status_code=201)
async def record_review(
    body: ReviewIn, request: Request, principal: Recorder, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Record a placement review; the placement must be known here and open on the date."""
    return await execute(handlers.record_review, request, principal, body, idempotency_key)


@router.post("/reintegrations", status_code=201)
async def record_reintegration(
    body: ReintegrationIn,
    request: Request,
    principal: Recorder,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await execute(handlers.record_reintegration, request, principal, body, idempotency_key)


@router.post("/reintegrations/{reintegration_id}/sustainment")
async def check_sustainment(
    reintegration_id: UUID,
    body: SustainmentIn,
    request: Request,
    principal: Recorder,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await execute(
        handlers.check_sustainment,
        request,
        principal,
        body,
        idempotency_key,
        reintegration_id=reintegration_id,
    )


@router.post("/destinations", status_code=201)
async def confirm_destination(
    body: DestinationIn,
    request: Request,
    principal: Annotated[Principal, Depends(require("la_officer"))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Confirm a post-16 destination; the activity code comes from the destination code set."""
    return await execute(handlers.confirm_destination, request, principal, body, idempotency_key)
