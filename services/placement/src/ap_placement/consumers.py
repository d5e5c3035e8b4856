"""Placement's subscriber: keep the replica of referral decisions; no rules here."""

import asyncpg
from ap_chassis.runtime import ConsumerSpec
from ap_schemas import topics
from ap_schemas.envelope import RawEvent
from ap_schemas.events import EventData, PupilReferredV1, ReferralDecidedV1, ReferralWithdrawnV1

from . import repository


async def replicate_referral(conn: asyncpg.Connection, envelope: RawEvent, data: EventData) -> None:
    if isinstance(data, PupilReferredV1):
        await repository.record_referral(
            conn,
            referral_id=data.referral_id,
            pupil_id=data.pupil_id,
            status="received",
            reason=data.reason,
            referrer_urn=data.referrer.urn,
            route=data.route or "la_arranged",
        )
    elif isinstance(data, ReferralDecidedV1):
        await repository.record_referral(
            conn, referral_id=data.referral_id, pupil_id=data.pupil_id, status=data.decision
        )
    elif isinstance(data, ReferralWithdrawnV1):
        await repository.record_referral(
            conn, referral_id=data.referral_id, pupil_id=data.pupil_id, status="withdrawn"
        )


CONSUMERS = [ConsumerSpec("referrals", topics.REFERRALS, replicate_referral)]
