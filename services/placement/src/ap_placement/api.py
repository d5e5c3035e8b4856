"""HTTP routes of the placement service: the reads, and one declaration per write whose arguments
follow the request (`ap_chassis.command_route` says what each step does; `handlers.authorize_*`
loads and checks what access decides on)."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.command_route import CommandRoutes
from ap_chassis.http import nothing_to_load
from ap_chassis.settings import ServiceSettings
from fastapi import APIRouter, Depends, Request

from . import access, handlers
from .commands import EndPlacement, PlacePupil, RegisterProvider
from .models import PlacementEndIn, PlacementIn, ProviderIn
from .provider_handlers import listed
from .repository import PgPlacements, PgProviders
from .results import PlacementEnded, ProviderChanged, PupilPlaced
from .uow import PlacementUnitOfWork

router = APIRouter(prefix="/v1", tags=["placements"])
writes = CommandRoutes(router, unit_of_work=PlacementUnitOfWork, policy=access.POLICY)
Caller = Annotated[Principal, Depends(require(*ROLES))]


def provider_command(body: ProviderIn) -> RegisterProvider:
    """A provider's registration, as sent."""
    return RegisterProvider(**dict(body))


def placement_command(body: PlacementIn, settings: ServiceSettings) -> PlacePupil:
    """A placement, under the LA's provider-approval rule (`PROVIDER_APPROVAL`)."""
    return PlacePupil(**dict(body), approval_mode=getattr(settings, "provider_approval", "warn"))


def end_command(body: PlacementEndIn, placement_id: UUID) -> EndPlacement:
    """An end: its body and the placement the path names."""
    return EndPlacement(placement_id=placement_id, **dict(body))


writes.post(
    "/providers", body=ProviderIn, command=provider_command, action="register_provider",
    authorize=nothing_to_load, handler=handlers.register_provider, answer=ProviderChanged,
    status_code=201,
)  # fmt: skip
writes.post(
    "/placements", body=PlacementIn, command=placement_command, action="commission",
    authorize=handlers.authorize_placement, handler=handlers.place_pupil, answer=PupilPlaced,
    status_code=201,
)  # fmt: skip
writes.post(
    "/placements/{placement_id}/end", body=PlacementEndIn, command=end_command, action="end",
    authorize=handlers.authorize_end, handler=handlers.end_placement, answer=PlacementEnded,
)  # fmt: skip


@router.get("/providers")
async def list_providers(
    request: Request,
    principal: Caller,
) -> list[dict[str, Any]]:
    access.POLICY.check_role(principal, "list_providers")
    async with request.app.state.runtime.pool.acquire() as conn:
        return [listed(p) for p in await PgProviders(conn).all()]


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
