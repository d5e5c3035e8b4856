"""Generated pupil journeys as the bytes the services publish: real CloudEvents, each on its
topic, from the topic's owning service, keyed by pupil (provider events by provider).

Events are templated from the checked-in golden examples (one per type) with fresh ids and dates,
so they stay valid as the models change; the first of each type is decoded by the real codec.
"""

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from ap_schemas import codec, topics
from ap_schemas.events import BY_TYPE

EXAMPLES = Path(codec.__file__).parent / "examples"
TODAY = date.today()
SCHOOLS = [f"{100000 + i}" for i in range(120)]

Record = tuple[str, bytes, bytes]  # topic, key, value


@cache
def _template(type_: str) -> dict:
    return json.loads((EXAMPLES / f"{type_}.json").read_text())


_checked: set[str] = set()


def event(type_: str, subject: str, day: date, **data: object) -> Record:
    envelope = dict(_template(type_))
    topic = BY_TYPE[type_].topic
    envelope.update(
        id=str(uuid.uuid4()),
        source=topics.OWNERS[topic],
        subject=subject,
        time=datetime.combine(day, datetime.min.time(), UTC).isoformat(),
        correlationid="bench",
        data={**envelope["data"], "occurred_at": day.isoformat(), **data},
    )
    value = json.dumps(envelope).encode()
    if type_ not in _checked:
        codec.decode(value, topic)  # raises if the bench's events drift from the models
        _checked.add(type_)
    return topic, subject.encode(), value


def providers(count: int, seed: int = 7) -> tuple[list[str], list[Record]]:
    rng = random.Random(seed)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]
    day = TODAY - timedelta(days=800)
    return ids, [
        event("journey.provider.registered.v1", p, day, provider_id=p, name=f"Provider {i}",
              registered=i % 5 != 0, ukprn=f"1{i:07d}", urn=None, setting_type=None)
        for i, p in enumerate(ids)
    ]  # fmt: skip


def journey(rng: random.Random, provider_ids: list[str]) -> list[Record]:
    """One pupil: referred, accepted, mostly placed and reviewed, some ended and reintegrated."""
    pupil = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    referral, placement = str(uuid.uuid4()), str(uuid.uuid4())
    day = TODAY - timedelta(days=rng.randint(20, 700))
    school = rng.choice(SCHOOLS)
    excluded = rng.random() < 0.1
    ids = {"pupil_id": pupil}
    out = [
        event("journey.pupil.referred.v1", pupil, day, **ids, referral_id=referral,
              referred_on=day.isoformat(), referrer={"kind": "school", "urn": school},
              home_school_urn=school, sen_provision="N", tier_requested=rng.choice([1, 2, 3]),
              reason="permanent_exclusion" if excluded else "suspension",
              excluded_on=(day - timedelta(days=1)).isoformat() if excluded else None)
    ]  # fmt: skip
    day += timedelta(days=rng.randint(1, 10))
    out.append(event("journey.referral.decided.v1", pupil, day, **ids, referral_id=referral,
                     decision="accepted", decided_on=day.isoformat(), reason=None))  # fmt: skip
    if rng.random() < 0.05:
        return out  # waiting for a placement
    start = day + timedelta(days=rng.randint(1, 14))
    sessions = rng.choice([4, 6, 8, 10, 10, 10])
    commissioner = (
        {"kind": "school", "urn": school}
        if rng.random() < 0.4
        else {"kind": "local_authority", "urn": None}
    )
    out.append(event("journey.pupil.placed.v1", pupil, start, **ids, placement_id=placement,
                     referral_id=referral, provider_id=rng.choice(provider_ids),
                     commissioner=commissioner, tier=rng.choice([1, 2, 3]),
                     start_date=start.isoformat(), planned_end_date=None,
                     sessions_per_week=sessions, cost={"amount_pence": 6000, "per": "session"},
                     annual_cost_pence=6000 * sessions * 39, dual_registered=rng.random() < 0.5,
                     reason="suspension"))  # fmt: skip
    day = start
    for _ in range(rng.randint(0, 4)):
        day += timedelta(days=rng.randint(30, 60))
        if day >= TODAY:
            break
        out.append(event("journey.placement.reviewed.v1", pupil, day, **ids,
                         placement_id=placement, review_id=str(uuid.uuid4()),
                         reviewed_on=day.isoformat(), next_review_on=None,
                         attendance={"possible_sessions": 40,
                                     "attended_sessions": rng.randint(10, 40)},
                         progress="expected", outcome="continue"))  # fmt: skip
    if rng.random() < 0.5 and day + timedelta(days=30) < TODAY:
        day += timedelta(days=rng.randint(1, 30))
        out.append(event("journey.placement.ended.v1", pupil, day, **ids, placement_id=placement,
                         end_date=day.isoformat(), reason="reintegrated"))  # fmt: skip
        reintegration = str(uuid.uuid4())
        out.append(event("journey.pupil.reintegrated.v1", pupil, day, **ids,
                         reintegration_id=reintegration, placement_id=placement,
                         school_urn=school, reintegrated_on=day.isoformat(),
                         mode="full_time"))  # fmt: skip
        check = day + timedelta(days=rng.randint(60, 120))
        if check < TODAY and rng.random() < 0.7:
            out.append(event("journey.reintegration.sustainment_checked.v1", pupil, check, **ids,
                             reintegration_id=reintegration, checked_on=check.isoformat(),
                             sustained=rng.random() < 0.7))  # fmt: skip
    return out


def generate(events: int, provider_count: int = 40, seed: int = 7) -> Iterator[Record]:
    """Provider registrations, then whole pupil journeys until at least `events` records."""
    rng = random.Random(seed)
    provider_ids, registrations = providers(provider_count, seed)
    yield from registrations
    made = len(registrations)
    while made < events:
        for record in journey(rng, provider_ids):
            made += 1
            yield record


def pupils(count: int, provider_count: int = 40, seed: int = 7) -> Iterator[Record]:
    """Provider registrations, then exactly `count` pupils' journeys."""
    rng = random.Random(seed)
    provider_ids, registrations = providers(provider_count, seed)
    yield from registrations
    for _ in range(count):
        yield from journey(rng, provider_ids)
