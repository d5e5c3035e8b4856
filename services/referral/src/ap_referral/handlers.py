"""Referral use cases: load, decide with the domain, save with the outbox in one transaction."""

from typing import Any
from uuid import UUID, uuid4

import asyncpg
from ap_chassis.auth import Principal
from ap_chassis.errors import NotFoundError
from ap_chassis.http import EventContext, record
from ap_schemas.events import (
    PupilIdentityRecordedV1,
    PupilReferredV1,
    ReferralDecidedV1,
    ReferralWithdrawnV1,
)

from . import domain, repository
from .models import DecisionIn, ReferralIn, WithdrawalIn

Answer = tuple[int, dict[str, Any]]


async def refer_pupil(
    conn: asyncpg.Connection, *, cmd: ReferralIn, ctx: EventContext, principal: Principal
) -> Answer:
    domain.check_new_referral(
        reason=cmd.reason,
        referred_on=cmd.referred_on,
        excluded_on=cmd.excluded_on,
        sen_provision=cmd.sen_provision,
    )
    identity = cmd.model_dump(include=set(PupilIdentityRecordedV1.model_fields) - {"upn"})
    pupil_id = await repository.upsert_pupil(conn, cmd.upn, identity)
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
        PupilIdentityRecordedV1(
            occurred_at=cmd.referred_on, pupil_id=pupil_id, upn=cmd.upn, **identity
        ),
    )
    return 201, {
        "referral_id": str(referral.referral_id),
        "pupil_id": str(pupil_id),
        "status": referral.status,
        "event_ids": event_ids,
    }


async def find_referral(
    conn: asyncpg.Connection, referral_id: UUID, principal: Principal
) -> domain.Referral:
    """The referral if it exists and the caller may see it; 404 either way otherwise."""
    referral = await repository.get_referral(conn, referral_id)
    if referral is None or not domain.may_see(referral, role=principal.role, urn=principal.urn):
        raise NotFoundError(f"no referral {referral_id}")
    return referral


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
