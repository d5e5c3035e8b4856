"""Placement use cases: load through the unit of work, let the domain decide, save, record.

Each handler takes `(uow, command, principal)` and returns its result model; the edge that
opened the unit of work (HTTP `dispatch`, the bulk import) commits. No HTTP here.
"""

from uuid import UUID, uuid4

from ap_chassis.access import ALLOW, NOT_FOUND, enforce
from ap_chassis.auth import Principal
from ap_chassis.errors import ForbiddenError
from ap_schemas.envelope import utcnow

from . import access, domain
from .commands import EndPlacement, PlacePupil, RegisterProvider
from .domain import ReferralFact
from .repository import Placements
from .results import PlacementEnded, ProviderChanged, PupilPlaced
from .uow import PlacementUnitOfWork


async def register_provider(
    uow: PlacementUnitOfWork, cmd: RegisterProvider, principal: Principal
) -> ProviderChanged:
    """Register a provider and record its event."""
    provider, events = domain.register(cmd, provider_id=uuid4(), today=utcnow().date())
    await uow.providers.add(provider)
    return ProviderChanged(provider_id=provider.provider_id, event_ids=uow.record(*events))


async def authorize_placement(
    uow: PlacementUnitOfWork, cmd: PlacePupil, principal: Principal
) -> None:
    """A school commissions only as itself and places only on a referral it made (one not
    known here yet waits: 409 later); only who may override approval gives a reason to."""
    commissioner = access.CommissionerRef(cmd.commissioner.kind, cmd.commissioner.urn)
    enforce(access.can(principal, "commission", commissioner), action="commission",
            what="as this commissioner")  # fmt: skip
    _may_place_on(principal, await uow.placements.referral(cmd.referral_id), cmd)
    if cmd.override_reason and access.can(principal, "override_approval") != ALLOW:
        raise ForbiddenError("only an LA officer may override approval", field="override_reason")


def _may_place_on(principal: Principal, referral: ReferralFact | None, cmd: PlacePupil) -> None:
    """On a referral the caller may place on; school-arranged AP only under its arranger."""
    if referral is None:
        return
    outcome = access.can(principal, "place_on", access.ReferralRef(referral.referrer_urn))
    enforce(outcome, action="place on", what=f"referral {cmd.referral_id}")
    if referral.school_arranged:
        arrangement = access.ArrangementRef(
            referral.referrer_urn, cmd.commissioner.kind, cmd.commissioner.urn
        )
        outcome = access.can(principal, "commission_arranged", arrangement)
        what = f"AP arranged by school {referral.referrer_urn}: only that school"
        enforce(outcome, action="commission", what=what)


async def place_pupil(
    uow: PlacementUnitOfWork, cmd: PlacePupil, principal: Principal
) -> PupilPlaced:
    """Place a pupil on an accepted referral, vetting the provider on the start date.

    Everything the decision needs is loaded first (the pupil locked), then the domain decides
    once: the placement to save and the events to record.
    """
    referral = await uow.placements.referral(cmd.referral_id)
    # again: a referral not known at `authorize_placement` may have arrived since (read committed)
    _may_place_on(principal, referral, cmd)
    if referral is not None:
        await uow.placements.lock_pupil(referral.pupil_id)
    providers, provider_id = uow.providers, cmd.provider_id
    open_placement = await uow.placements.open_placement(referral.pupil_id) if referral else None
    facts = domain.Placing(
        referral=referral,
        provider=await providers.get(provider_id),
        open_placement=open_placement,
        may_see_open=open_placement is not None
        and access.can(principal, "read", _ref(open_placement)) == ALLOW,
        checks=tuple(await providers.checks(provider_id)),
        capacity=tuple(await providers.capacity(provider_id)),
        contracts=tuple(await providers.contracts(provider_id)),
        in_use=await uow.placements.in_use(
            provider_id, tier=cmd.tier, phase=cmd.phase, on=cmd.start_date
        ),
    )
    placed = domain.place(facts, cmd, placement_id=uuid4())
    await uow.placements.add(placed.placement)
    return PupilPlaced(
        placement_id=placed.placement.placement_id,
        pupil_id=placed.placement.pupil_id,
        annual_cost_pence=placed.placement.annual_cost_pence,
        warnings=placed.warnings,
        event_ids=uow.record(*placed.events),
    )


async def find_placement(
    placements: Placements,
    placement_id: UUID,
    principal: Principal,
    action: access.Action = "read",
) -> domain.Placement:
    """The placement if the caller may do `action` to it; 404 when it may not know it exists."""
    placement = await placements.get(placement_id)
    outcome = access.can(principal, action, _ref(placement)) if placement is not None else NOT_FOUND
    enforce(outcome, action=action, what=f"placement {placement_id}")
    assert placement is not None
    return placement


def _ref(placement: domain.Placement) -> access.PlacementRef:
    return access.PlacementRef(placement.commissioner.urn, str(placement.provider_id))


async def authorize_end(uow: PlacementUnitOfWork, cmd: EndPlacement, principal: Principal) -> None:
    """Refuse the caller unless it may end this placement (404/403)."""
    await find_placement(uow.placements, cmd.placement_id, principal, "end")


async def end_placement(
    uow: PlacementUnitOfWork, cmd: EndPlacement, principal: Principal
) -> PlacementEnded:
    """End the placement under the pupil's lock and record the event."""
    placement = await find_placement(uow.placements, cmd.placement_id, principal, "end")
    await uow.placements.lock_pupil(placement.pupil_id)
    # again under the pupil's lock: another command may have ended it meanwhile
    placement = await find_placement(uow.placements, cmd.placement_id, principal, "end")
    ended, events = domain.end(placement, cmd)
    await uow.placements.save_end(ended)
    return PlacementEnded(
        placement_id=ended.placement_id, pupil_id=ended.pupil_id, event_ids=uow.record(*events)
    )
