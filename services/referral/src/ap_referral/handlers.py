"""Referral use cases: load, decide with the domain, save with the outbox in one transaction."""

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from ap_chassis.access import NOT_FOUND, enforce, tenant
from ap_chassis.auth import Principal
from ap_chassis.errors import NotFoundError
from ap_chassis.http import EventContext, record
from ap_schemas.envelope import utcnow
from ap_schemas.events import (
    PupilIdentityRecordedV1,
    PupilReferredV1,
    ReferralDecidedV1,
    ReferralWithdrawnV1,
)

from . import access, domain, repository
from .models import DecisionIn, IdentityChangeApplyIn, ReferralIn, WithdrawalIn

Answer = tuple[int, dict[str, Any]]


async def refer_pupil(
    conn: asyncpg.Connection,
    *,
    cmd: ReferralIn,
    ctx: EventContext,
    principal: Principal,
    auto_apply: frozenset[str] = frozenset(),
) -> Answer:
    """Refer a pupil. A known UPN keeps its identity: differences become a proposed change,
    applied at once only when every changed field is one the LA lets apply without review."""
    domain.check_new_referral(
        reason=cmd.reason,
        referred_on=cmd.referred_on,
        excluded_on=cmd.excluded_on,
        sen_provision=cmd.sen_provision,
    )
    identity = cmd.model_dump(include=set(PupilIdentityRecordedV1.model_fields) - {"upn"})
    known = await repository.pupil_by_upn(conn, cmd.upn)
    inserted = None if known else await repository.insert_pupil(conn, cmd.upn, identity)
    if known is None and inserted is None:  # a concurrent referral saw the UPN first
        known = await repository.pupil_by_upn(conn, cmd.upn)
    pupil_id = inserted or UUID(str(known["pupil_id"]))  # type: ignore[index]
    referral = domain.Referral(
        referral_id=uuid4(),
        pupil_id=pupil_id,
        status="received",
        referrer_kind=cmd.referrer.kind,
        referrer_urn=cmd.referrer.urn,
        reason=cmd.reason,
        tier_requested=cmd.tier_requested,
        referred_on=cmd.referred_on,
        excluded_on=cmd.excluded_on,
        sen_provision=cmd.sen_provision,
        home_school_urn=cmd.home_school_urn,
    )
    await repository.insert_referral(conn, referral)
    identity_events: list[PupilIdentityRecordedV1] = []
    change: dict[str, str] = {}
    if known is None:
        identity_events.append(
            PupilIdentityRecordedV1(
                occurred_at=cmd.referred_on, pupil_id=pupil_id, upn=cmd.upn, **identity
            )
        )
    else:
        old, new = domain.identity_difference(repository.identity_of(known), identity)
        if new:
            change_id = await repository.propose_identity_change(
                conn, pupil_id=pupil_id, referral_id=referral.referral_id,
                proposed_by=_who(principal), old=old, new=new,
            )  # fmt: skip
            change = {"identity_change_id": str(change_id), "identity_change": "proposed"}
            if set(new) <= auto_apply:
                identity_events.append(
                    await _apply(conn, known, change_id, new, applied_by="rule:auto-apply")
                )
                change["identity_change"] = "applied"
    event_ids = await record(
        conn,
        ctx,
        PupilReferredV1(
            occurred_at=cmd.referred_on,
            pupil_id=pupil_id,
            referral_id=referral.referral_id,
            referred_on=cmd.referred_on,
            referrer=cmd.referrer,
            reason=cmd.reason,
            tier_requested=cmd.tier_requested,
            excluded_on=cmd.excluded_on,
            sen_provision=cmd.sen_provision,
            home_school_urn=cmd.home_school_urn,
        ),
        *identity_events,
    )
    return 201, {
        "referral_id": str(referral.referral_id),
        "pupil_id": str(pupil_id),
        "status": referral.status,
        "event_ids": event_ids,
        **change,
    }


def _who(principal: Principal) -> str:
    return f"{tenant(principal)}:{principal.sub}"


async def _apply(
    conn: asyncpg.Connection,
    pupil: asyncpg.Record,
    change_id: UUID,
    values: dict[str, Any],
    *,
    applied_by: str,
) -> PupilIdentityRecordedV1:
    """Write a change's new values into the register; the pupil's identity event to publish."""
    current = repository.identity_of(pupil)
    new = {
        k: date.fromisoformat(v) if isinstance(current.get(k), date) and v else v
        for k, v in values.items()
    }
    await repository.apply_identity_change(
        conn, pupil_id=pupil["pupil_id"], change_id=change_id, values=new, applied_by=applied_by
    )
    return PupilIdentityRecordedV1(
        occurred_at=utcnow().date(), pupil_id=pupil["pupil_id"], upn=pupil["upn"],
        **(current | new),
    )  # fmt: skip


async def apply_identity_change(
    conn: asyncpg.Connection,
    *,
    pupil_id: UUID,
    change_id: UUID,
    cmd: IdentityChangeApplyIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    """An LA officer applies a proposed change: the register and journey.identity follow."""
    pupil = await repository.pupil_by_id(conn, pupil_id)
    change = pupil and await repository.identity_change(conn, pupil_id, change_id)
    if pupil is None or change is None:
        raise NotFoundError(f"no identity change {change_id} of pupil {pupil_id}")
    domain.check_identity_change_applicable(
        status=change["status"], old=change["old_values"], current=repository.identity_of(pupil)
    )
    recorded = await _apply(
        conn, pupil, change_id, change["new_values"], applied_by=_who(principal)
    )
    event_ids = await record(conn, ctx, recorded)
    return 200, {
        "change_id": str(change_id),
        "pupil_id": str(pupil_id),
        "status": "applied",
        "event_ids": event_ids,
    }


async def find_referral(
    conn: asyncpg.Connection,
    referral_id: UUID,
    principal: Principal,
    action: access.Action = "read",
) -> domain.Referral:
    """The referral if the caller may do `action` to it; 404 when it may not know it exists."""
    referral = await repository.get_referral(conn, referral_id)
    outcome = (
        access.can(principal, action, access.ReferralRef(referral.referrer_urn))
        if referral is not None
        else NOT_FOUND
    )
    enforce(outcome, action=action, what=f"referral {referral_id}")
    assert referral is not None
    return referral


async def authorize_decision(
    conn: asyncpg.Connection, *, cmd: Any, principal: Principal, referral_id: UUID
) -> None:
    await find_referral(conn, referral_id, principal, "decide")


async def authorize_withdrawal(
    conn: asyncpg.Connection, *, cmd: Any, principal: Principal, referral_id: UUID
) -> None:
    await find_referral(conn, referral_id, principal, "withdraw")


async def _load_locked(
    conn: asyncpg.Connection, referral_id: UUID, principal: Principal
) -> domain.Referral:
    referral = await find_referral(conn, referral_id, principal)
    await repository.lock_pupil(conn, referral.pupil_id)
    # Re-read under the lock: a concurrent decision may have committed meanwhile.
    return await find_referral(conn, referral_id, principal)


async def decide_referral(
    conn: asyncpg.Connection,
    *,
    referral_id: UUID,
    cmd: DecisionIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    referral = await _load_locked(conn, referral_id, principal)
    decided = domain.decide(
        referral, decision=cmd.decision, decided_on=cmd.decided_on, reason=cmd.reason
    )
    await repository.save_referral(conn, decided)
    event_ids = await record(
        conn,
        ctx,
        ReferralDecidedV1(
            occurred_at=cmd.decided_on,
            pupil_id=decided.pupil_id,
            referral_id=referral_id,
            decision=cmd.decision,
            decided_on=cmd.decided_on,
            reason=cmd.reason,
        ),
    )
    return 200, _answer(decided, event_ids)


async def withdraw_referral(
    conn: asyncpg.Connection,
    *,
    referral_id: UUID,
    cmd: WithdrawalIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    referral = await _load_locked(conn, referral_id, principal)
    withdrawn = domain.withdraw(referral, withdrawn_on=cmd.withdrawn_on, reason=cmd.reason)
    await repository.save_referral(conn, withdrawn)
    event_ids = await record(
        conn,
        ctx,
        ReferralWithdrawnV1(
            occurred_at=cmd.withdrawn_on,
            pupil_id=withdrawn.pupil_id,
            referral_id=referral_id,
            withdrawn_on=cmd.withdrawn_on,
            reason=cmd.reason,
        ),
    )
    return 200, _answer(withdrawn, event_ids)


def _answer(referral: domain.Referral, event_ids: list[str]) -> dict[str, Any]:
    return {
        "referral_id": str(referral.referral_id),
        "pupil_id": str(referral.pupil_id),
        "status": referral.status,
        "event_ids": event_ids,
    }
