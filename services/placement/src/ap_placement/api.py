"""HTTP routes of the placement service: parse, authorise, delegate to a handler, answer."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.access import enforce
from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.http import IdempotencyKey, execute
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import access, handlers, repository
from .models import PlacementEndIn, PlacementIn, ProviderIn

router = APIRouter(prefix="/v1", tags=["placements"])
Caller = Annotated[Principal, Depends(require(*ROLES))]


@router.post("/providers", status_code=201)
async def register_provider(
    body: ProviderIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register an AP provider: by URN, UKPRN, or a setting type when it has neither."""
    access.POLICY.check_role(principal, "register_provider")
    return await execute(handlers.register_provider, request, principal, body, idempotency_key)


@router.get("/providers")
async def list_providers(
    request: Request,
    principal: Caller,
) -> list[dict[str, Any]]:
    access.POLICY.check_role(principal, "list_providers")
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await repository.list_providers(conn)
    return [{**dict(r), "provider_id": str(r["provider_id"])} for r in rows]


@router.post("/placements", status_code=201)
async def place_pupil(
    body: PlacementIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Place a pupil whose referral was accepted; 409 + Retry-After while that is not known yet.

    A school commissions only as itself and only on a referral it made (else 404).
    """
    commissioner = access.CommissionerRef(body.commissioner.kind, body.commissioner.urn)
    outcome = access.can(principal, "commission", commissioner)
    enforce(outcome, action="commission", what="as this commissioner")
    return await execute(
        handlers.place_pupil,
        request,
        principal,
        body,
        idempotency_key,
        authorize=handlers.authorize_placement,
        approval_mode=request.app.state.settings.provider_approval,
    )


@router.post("/placements/{placement_id}/end")
async def end_placement(
    placement_id: UUID,
    body: PlacementEndIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    access.POLICY.check_role(principal, "end")
    return await execute(
        handlers.end_placement,
        request,
        principal,
        body,
        idempotency_key,
        authorize=handlers.authorize_end,
        placement_id=placement_id,
    )


@router.get("/placements/{placement_id}")
async def get_placement(
    placement_id: UUID,
    request: Request,
    principal: Caller,
) -> dict[str, Any]:
    access.POLICY.check_role(principal, "read")
    async with request.app.state.runtime.pool.acquire() as conn:
        await handlers.find_placement(conn, placement_id, principal)
        row = await repository.get_placement_details(conn, placement_id)
    return {
        "placement_id": str(row["placement_id"]),
        "pupil_id": str(row["pupil_id"]),
        "referral_id": str(row["referral_id"]),
        "provider_id": str(row["provider_id"]),
        "commissioner": {"kind": row["commissioner_kind"], "urn": row["commissioner_urn"]},
        "tier": row["tier"],
        "start_date": row["start_date"].isoformat(),
        "planned_end_date": row["planned_end_date"] and row["planned_end_date"].isoformat(),
        "sessions_per_week": row["sessions_per_week"],
        "cost": row["cost_per"]
        and {"amount_pence": row["cost_amount_pence"], "per": row["cost_per"]},
        "annual_cost_pence": row["annual_cost_pence"],
        "dual_registered": row["dual_registered"],
        "reason": row["reason"],
        "status": "open" if row["end_date"] is None else "ended",
        "end_date": row["end_date"] and row["end_date"].isoformat(),
        "end_reason": row["end_reason"],
    }
