"""HTTP routes of the placement service: parse a body into a command, dispatch it, answer."""

from typing import Annotated, Any, TypeVar
from uuid import UUID

from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.http import Authorizer, Handler, IdempotencyKey, dispatch
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from . import access, handlers
from .commands import EndPlacement, PlacePupil, RegisterProvider
from .models import PlacementEndIn, PlacementIn, ProviderIn
from .provider_handlers import listed
from .repository import PgPlacements, PgProviders
from .results import PlacementEnded, ProviderChanged, PupilPlaced
from .uow import PlacementUnitOfWork

router = APIRouter(prefix="/v1", tags=["placements"])
Caller = Annotated[Principal, Depends(require(*ROLES))]
C = TypeVar("C")


async def run(
    request: Request,
    principal: Principal,
    handler: Handler[PlacementUnitOfWork, C],
    command: C,
    body: BaseModel,
    idempotency_key: str | None,
    *,
    authorize: Authorizer[PlacementUnitOfWork, C] | None = None,
    status_code: int = 201,
) -> JSONResponse:
    """One command in this service's unit of work, once per Idempotency-Key."""
    return await dispatch(
        request, principal, handler=handler, command=command,
        unit_of_work=PlacementUnitOfWork, body=body, idempotency_key=idempotency_key,
        authorize=authorize, status_code=status_code,
    )  # fmt: skip


@router.post("/providers", status_code=201, response_model=ProviderChanged)
async def register_provider(
    body: ProviderIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register an AP provider: by URN, UKPRN, or a setting type when it has neither."""
    access.POLICY.check_role(principal, "register_provider")
    command = RegisterProvider(**dict(body))
    return await run(request, principal, handlers.register_provider, command, body, idempotency_key)


@router.get("/providers")
async def list_providers(
    request: Request,
    principal: Caller,
) -> list[dict[str, Any]]:
    access.POLICY.check_role(principal, "list_providers")
    async with request.app.state.runtime.pool.acquire() as conn:
        return [listed(p) for p in await PgProviders(conn).all()]


@router.post("/placements", status_code=201, response_model=PupilPlaced)
async def place_pupil(
    body: PlacementIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Place a pupil whose referral was accepted; 409 + Retry-After while that is not known yet.

    A school commissions only as itself and only on a referral it made (else 404).
    """
    command = PlacePupil(**dict(body), approval_mode=request.app.state.settings.provider_approval)
    return await run(
        request, principal, handlers.place_pupil, command, body, idempotency_key,
        authorize=handlers.authorize_placement,
    )  # fmt: skip


@router.post("/placements/{placement_id}/end", response_model=PlacementEnded)
async def end_placement(
    placement_id: UUID,
    body: PlacementEndIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    access.POLICY.check_role(principal, "end")
    command = EndPlacement(placement_id=placement_id, **dict(body))
    return await run(
        request, principal, handlers.end_placement, command, body, idempotency_key,
        authorize=handlers.authorize_end, status_code=200,
    )  # fmt: skip


@router.get("/placements/{placement_id}")
async def get_placement(
    placement_id: UUID,
    request: Request,
    principal: Caller,
) -> dict[str, Any]:
    access.POLICY.check_role(principal, "read")
    async with request.app.state.runtime.pool.acquire() as conn:
        p = await handlers.find_placement(PgPlacements(conn), placement_id, principal)
    return {
        "placement_id": str(p.placement_id),
        "pupil_id": str(p.pupil_id),
        "referral_id": str(p.referral_id),
        "provider_id": str(p.provider_id),
        "commissioner": {"kind": p.commissioner.kind, "urn": p.commissioner.urn},
        "tier": p.tier,
        "start_date": p.start_date.isoformat(),
        "planned_end_date": p.planned_end_date and p.planned_end_date.isoformat(),
        "sessions_per_week": p.sessions_per_week,
        "cost": p.cost and {"amount_pence": p.cost.amount_pence, "per": p.cost.per},
        "annual_cost_pence": p.annual_cost_pence,
        "dual_registered": p.dual_registered,
        "reason": p.reason,
        "status": "open" if p.is_open else "ended",
        "end_date": p.end_date and p.end_date.isoformat(),
        "end_reason": p.end_reason,
        "notice_given_on": p.notice_given_on and p.notice_given_on.isoformat(),
        "off_site_direction": p.off_site_direction,
    }
