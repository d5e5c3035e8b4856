"""Journeys through the HTTP APIs and events produced straight onto topics, reused across tests."""

import asyncio
import uuid
from datetime import date

from aiokafka import AIOKafkaProducer
from ap_schemas import codec
from ap_schemas.envelope import Actor
from ap_schemas.events import PupilReferredV1, ReferralDecidedV1, Referrer

from tests.support.platform import referral_body, token

ACTOR = Actor(system="test", user_id="tester")


def referred(pupil_id: uuid.UUID, referral_id: uuid.UUID, urn: str) -> bytes:
    data = PupilReferredV1(
        occurred_at=date(2026, 9, 7),
        pupil_id=pupil_id,
        referral_id=referral_id,
        referred_on=date(2026, 9, 7),
        referrer=Referrer(kind="local_authority"),
        reason="other",
        tier_requested=1,
        sen_provision="N",
        home_school_urn=urn,
    )
    return codec.encode(codec.build(data, source="referral", actor=ACTOR, correlation_id="t"))


def accepted(pupil_id: uuid.UUID, referral_id: uuid.UUID) -> bytes:
    data = ReferralDecidedV1(
        occurred_at=date(2026, 9, 8),
        pupil_id=pupil_id,
        referral_id=referral_id,
        decision="accepted",
        decided_on=date(2026, 9, 8),
    )
    return codec.encode(codec.build(data, source="referral", actor=ACTOR, correlation_id="t"))


async def produce(bootstrap: str, topic: str, key: str, *values: bytes) -> list[int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        offsets = []
        for value in values:
            meta = await producer.send_and_wait(topic, value, key=key.encode())
            offsets.append(meta.offset)
        return offsets
    finally:
        await producer.stop()


LA = token()


async def retrying(call, *, attempts: int = 100):
    """Call until the answer is not 409 + Retry-After (a prerequisite still travelling)."""
    for _ in range(attempts):
        answer = await call()
        if answer.status_code == 409 and "retry-after" in answer.headers:
            await asyncio.sleep(min(float(answer.headers["retry-after"]), 0.2))
            continue
        return answer
    raise AssertionError(f"still 409 after {attempts} attempts: {answer.text}")


async def new_provider(services) -> str:
    answer = await services.placement.post(
        "/v1/providers",
        json={"name": "Riverside Tuition", "setting_type": "OOT", "registered": False},
        headers=LA,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["provider_id"]


def placement_body(referral_id: str, provider_id: str, **overrides) -> dict:
    return {
        "referral_id": referral_id,
        "provider_id": provider_id,
        "commissioner": {"kind": "local_authority"},
        "tier": 2,
        "start_date": "2026-09-14",
        "planned_end_date": "2027-03-31",
        "sessions_per_week": 8,
        "cost": {"amount_pence": 6500, "per": "session"},
        "dual_registered": True,
        **overrides,
    }


async def accepted_referral(services, decided_on: str = "2026-09-08", **overrides) -> dict:
    created = await services.referral.post(
        "/v1/referrals", json=referral_body(**overrides), headers=LA
    )
    assert created.status_code == 201, created.text
    referral = created.json()
    decided = await services.referral.post(
        f"/v1/referrals/{referral['referral_id']}/decision",
        json={"decision": "accepted", "decided_on": decided_on},
        headers=LA,
    )
    assert decided.status_code == 200, decided.text
    return referral


async def placed_pupil(services) -> dict:
    """A pupil with an accepted referral and a placement starting 2026-09-14."""
    provider_id = await new_provider(services)
    referral = await accepted_referral(services)
    placed = await retrying(lambda: services.placement.post(
        "/v1/placements", json=placement_body(referral["referral_id"], provider_id), headers=LA
    ))  # fmt: skip
    assert placed.status_code == 201, placed.text
    return {**placed.json(), "pupil_id": referral["pupil_id"], "provider_id": provider_id}


def encoded(data) -> bytes:
    return codec.encode(codec.build(data, source="placement", actor=ACTOR, correlation_id="c"))
