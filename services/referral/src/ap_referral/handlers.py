"""Referral use cases: check access on what the rule reads, let the domain decide, save, record.

Each write has two steps, run by its route (`api.py`) in one unit of work:
- `authorize_*(uow, command, principal)` loads what the access rule decides on, checks it
  (403/404), locks the pupil's row when it is known, and returns what it loaded (for a new
  referral or an identity change: the checked caller, whom the identity-read log records);
- the use case `(uow, command, loaded)` decides on exactly that and checks nothing again.
Neither knows HTTP nor commits: the edge that opened the unit of work (a command route, the
retention job) commits, so the saved state, the events and the remembered answer are one
transaction.
"""

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar
from uuid import UUID, uuid4

from ap_chassis.access import NOT_FOUND, enforce, tenant
from ap_chassis.auth import Principal
from ap_chassis.errors import NotFoundError
from ap_schemas.envelope import utcnow
from ap_schemas.events import EventData

from . import access, domain
from .commands import (
    ApplyIdentityChange,
    DecideReferral,
    ErasePupil,
    ReferPupil,
    WithdrawReferral,
)
from .repository import Referrals
from .results import ErasureResult, IdentityChangeApplied, ReferralResult, ReferralWithChange
from .uow import UnitOfWorkPort


def who(principal: Principal) -> str:
    """The proposer or applier an identity change records: role, scope and subject."""
    return f"{tenant(principal)}:{principal.sub}"


async def authorize_referral(
    uow: UnitOfWorkPort, command: ReferPupil, principal: Principal
) -> Principal:
    """The caller, once it may refer as the referrer named and, for school-arranged AP, arrange
    it for a pupil on that school's roll: the register records it as the UPN's reader."""
    referrer = access.ReferrerRef(command.referrer.kind, command.referrer.urn)
    enforce(access.can(principal, "refer", referrer), action="refer", what="as this referrer")
    if command.route == "school_arranged":
        pupil_of = access.ReferrerRef("school", command.home_school_urn or command.referrer.urn)
        enforce(access.can(principal, "arrange", pupil_of), action="arrange AP",
                what="for a pupil on another school's roll")  # fmt: skip
    return principal


async def the_caller(uow: UnitOfWorkPort, command: object, principal: Principal) -> Principal:
    """The caller, whose role the route has checked and nothing else decides on: the use case
    records it (the identity-read log, who applied a change)."""
    return principal


async def refer_pupil(
    uow: UnitOfWorkPort, command: ReferPupil, principal: Principal
) -> ReferralResult:
    """Refer a pupil to AP. A school refers as itself; the same UPN keeps its pupil_id.

    `route: school_arranged` records AP a school arranged for a pupil on its own roll: the
    referral is accepted by that school at once (status `accepted`), no LA decision.

    A known UPN with different identifying details does not change the register: the answer
    names an `identity_change_id`, a proposal an LA officer may apply. The caller is recorded
    as having mapped the UPN to the pupil's `pupil_id` (the identity-read log).
    """
    ids = {"pupil_id": uuid4(), "referral_id": uuid4(), "change_id": uuid4()}
    today = utcnow().date()

    def refer(known: domain.Pupil | None) -> domain.Referred:
        return domain.refer(known, command, **ids, proposed_by=who(principal), today=today)

    known = await uow.pupils.by_upn(command.upn)
    referred = refer(known)
    if known is None and not await uow.pupils.add(referred.pupil):
        # A concurrent referral saw the UPN first: decide again against its register row.
        referred = refer(await uow.pupils.by_upn(command.upn))
    await uow.referrals.save(referred.referral)
    if referred.change is not None:
        await uow.identity_changes.save(referred.change)
    if referred.identity_applied:
        await uow.pupils.save(referred.pupil)
    event_ids = uow.record(*referred.events)
    pupil_id = referred.pupil.pupil_id
    await uow.identity_reads.record(principal, pupil_id, "referral: UPN mapped to pupil_id")
    answer = {"referral_id": str(referred.referral.referral_id), "pupil_id": str(pupil_id),
              "status": referred.referral.status, "event_ids": event_ids}  # fmt: skip
    if referred.change is None:
        return ReferralResult(**answer)
    return ReferralWithChange(
        **answer,
        identity_change_id=str(referred.change.change_id),
        identity_change=referred.change.status,
    )


async def apply_identity_change(
    uow: UnitOfWorkPort, command: ApplyIdentityChange, principal: Principal
) -> IdentityChangeApplied:
    """An LA officer applies a proposed change: the register and journey.identity follow, and
    the pupil is recorded as read (the officer saw the values applied)."""
    pupil = await uow.pupils.by_id(command.pupil_id)
    change = await uow.identity_changes.get(command.pupil_id, command.change_id) if pupil else None
    if pupil is None or change is None:
        raise NotFoundError(f"no identity change {command.change_id} of pupil {command.pupil_id}")
    pupil, change, recorded = domain.apply_change(
        pupil, change, applied_by=who(principal), today=utcnow().date()
    )
    await uow.pupils.save(pupil)
    await uow.identity_changes.save(change)
    event_ids = uow.record(recorded)
    await uow.identity_reads.record(principal, pupil.pupil_id, "identity change applied")
    return IdentityChangeApplied(
        change_id=str(command.change_id), pupil_id=str(command.pupil_id), event_ids=event_ids
    )


async def visible_referral(
    referrals: Referrals, referral_id: UUID, principal: Principal, action: access.Action = "read"
) -> domain.Referral:
    """The referral if the caller may do `action` to it; 404 when it may not know it exists."""
    referral = await referrals.get(referral_id)
    outcome = (
        access.can(principal, action, access.ReferralRef(referral.referrer_urn))
        if referral is not None
        else NOT_FOUND
    )
    enforce(outcome, action=action, what=f"referral {referral_id}")
    assert referral is not None
    return referral


class _OfReferral(Protocol):
    @property
    def referral_id(self) -> UUID: ...


def authorizer(
    action: access.Action,
) -> Callable[[UnitOfWorkPort, _OfReferral, Principal], Awaitable[domain.Referral]]:
    """The access step of a command on an existing referral: 403 for a party that may not, 404
    for a caller that may not know it; else the referral, read again under its pupil's lock."""

    async def authorize(
        uow: UnitOfWorkPort, command: _OfReferral, principal: Principal
    ) -> domain.Referral:
        found = await visible_referral(uow.referrals, command.referral_id, principal, action)
        await uow.pupils.lock(found.pupil_id)
        # Re-read under the lock: a concurrent decision may have committed meanwhile.
        referral = await uow.referrals.get(command.referral_id)
        assert referral is not None  # referrals are never deleted
        return referral

    return authorize


authorize_decision = authorizer("decide")
authorize_withdrawal = authorizer("withdraw")


async def decide_referral(
    uow: UnitOfWorkPort, command: DecideReferral, referral: domain.Referral
) -> ReferralResult:
    """Accept or decline a referral (LA officers only); a second decision is 409."""
    return await _transition(uow, command, referral, domain.decide)


async def withdraw_referral(
    uow: UnitOfWorkPort, command: WithdrawReferral, referral: domain.Referral
) -> ReferralResult:
    """Withdraw a referral (its referrer or an LA officer); the event is recorded."""
    return await _transition(uow, command, referral, domain.withdraw)


Of = TypeVar("Of", bound=_OfReferral)


async def _transition(
    uow: UnitOfWorkPort,
    command: Of,
    referral: domain.Referral,
    decide: Callable[[domain.Referral, Of], tuple[domain.Referral, list[EventData]]],
) -> ReferralResult:
    """Let the domain change the referral, save it, record its events."""
    changed, events = decide(referral, command)
    await uow.referrals.save(changed)
    return ReferralResult(
        referral_id=str(changed.referral_id),
        pupil_id=str(changed.pupil_id),
        status=changed.status,
        event_ids=uow.record(*events),
    )


async def erase_pupil(
    uow: UnitOfWorkPort, command: ErasePupil, loaded: None = None
) -> ErasureResult:
    """Erase the pupil's identifying details everywhere; the pseudonymous journey stays (an LA
    officer's request, or the retention job).

    The identity register is the only home of names, dates of birth, UPNs and addresses: the
    `pupil_id` row stays, pseudonymous, so the journey keeps its key; the pupil's earlier
    `journey.identity` values are nulled in the outbox (the durable log), a tombstone follows,
    and stored answers that mention the pupil are forgotten. Every holder of a copy deletes it
    when the tombstone arrives. Idempotent: erasing an erased pupil records the request and
    publishes the tombstone again (harmless downstream).
    """
    erased = await uow.pupils.erase(command)
    if erased is None:
        raise NotFoundError(f"no pupil {command.pupil_id}")
    key = str(command.pupil_id)
    tombstone = await uow.forget_published(key, domain.identifying_values(erased.held))
    return ErasureResult(
        pupil_id=key, erased_at=erased.erased_at.isoformat(), event_ids=[tombstone]
    )
