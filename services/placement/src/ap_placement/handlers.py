"""Placement use cases: check access on what the rule reads, let the domain decide, save, record.

Each write has two steps, run by its route (`api.py`) in one unit of work:
- `authorize_*(uow, command, principal)` loads what the access rule decides on, checks it
  (403/404), locks the pupil's row when it is known, and returns what it loaded;
- the use case `(uow, command, loaded)` decides on exactly that and checks nothing again.
Neither knows HTTP nor commits: the edge that opened the unit of work (a command route, the
bulk import) commits once the answer is remembered.
"""

from dataclasses import dataclass
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
    uow: PlacementUnitOfWork, cmd: RegisterProvider, loaded: None
) -> ProviderChanged:
    """Register an AP provider: by URN, UKPRN, or a setting type when it has neither."""
    provider, events = domain.register(cmd, provider_id=uuid4(), today=utcnow().date())
    await uow.providers.add(provider)
    return ProviderChanged(provider_id=provider.provider_id, event_ids=uow.record(*events))


@dataclass(frozen=True)
class PlacingOn:
    """What the access step of a placement loaded: the referral (None while not known here),
    the pupil's open placement (read under the pupil's lock), and whether the caller may see it.
    """

    referral: ReferralFact | None
    open_placement: domain.Placement | None
    may_see_open: bool


async def authorize_placement(
    uow: PlacementUnitOfWork, cmd: PlacePupil, principal: Principal
) -> PlacingOn:
    """A school commissions only as itself and places only on a referral it made (one not
    known here yet waits: 409 by the domain); only who may override approval gives a reason
    to. The pupil is locked and the open placement read under the lock."""
    commissioner = access.CommissionerRef(cmd.commissioner.kind, cmd.commissioner.urn)
    enforce(access.can(principal, "commission", commissioner), action="commission",
            what="as this commissioner")  # fmt: skip
    referral = await uow.placements.referral(cmd.referral_id)
    _may_place_on(principal, referral, cmd)
    if cmd.override_reason and access.can(principal, "override_approval") != ALLOW:
        raise ForbiddenError("only an LA officer may override approval", field="override_reason")
    if referral is None:
        return PlacingOn(None, None, may_see_open=False)
    await uow.placements.lock_pupil(referral.pupil_id)
    open_placement = await uow.placements.open_placement(referral.pupil_id)
    may_see = open_placement is not None and access.can(
        principal, "read", _ref(open_placement)
    ) == ALLOW  # fmt: skip
    return PlacingOn(referral, open_placement, may_see_open=may_see)


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


async def place_pupil(uow: PlacementUnitOfWork, cmd: PlacePupil, on: PlacingOn) -> PupilPlaced:
    """Place a pupil whose referral was accepted; 409 + Retry-After while that is not known yet.

    A school commissions only as itself and only on a referral it made (else 404). The provider
    is vetted on the start date; everything the decision needs is loaded first, then the domain
    decides once: the placement to save and the events to record.
    """
    providers, provider_id = uow.providers, cmd.provider_id
    facts = domain.Placing(
        referral=on.referral,
        provider=await providers.get(provider_id),
        open_placement=on.open_placement,
        may_see_open=on.may_see_open,
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


async def authorize_end(
    uow: PlacementUnitOfWork, cmd: EndPlacement, principal: Principal
) -> domain.Placement:
    """The placement, once the caller may end it (404/403), read again under the pupil's lock:
    another command may have ended it meanwhile."""
    found = await find_placement(uow.placements, cmd.placement_id, principal, "end")
    await uow.placements.lock_pupil(found.pupil_id)
    placement = await uow.placements.get(cmd.placement_id)
    assert placement is not None  # placements are never deleted
    return placement


async def end_placement(
    uow: PlacementUnitOfWork, cmd: EndPlacement, placement: domain.Placement
) -> PlacementEnded:
    """End a placement (its commissioner or an LA officer) and record the event."""
    ended, events = domain.end(placement, cmd)
    await uow.placements.save_end(ended)
    return PlacementEnded(
        placement_id=ended.placement_id, pupil_id=ended.pupil_id, event_ids=uow.record(*events)
    )
