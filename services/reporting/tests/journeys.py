"""Hypothesis strategies: plausible pupil journeys as events, and cross-topic interleavings."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from ap_schemas import codec, topics
from ap_schemas import events as ev
from ap_schemas.envelope import Actor, CloudEvent
from hypothesis import strategies as st

ACTOR = Actor(system="property-test", user_id="hypothesis")
STAGES = ("referred", "declined", "withdrawn", "accepted", "placed", "placement_ended",
          "reintegrated", "destination_confirmed")  # fmt: skip


@dataclass(frozen=True)
class Journey:
    pupil_id: uuid.UUID
    final_status: str
    events: tuple[CloudEvent, ...]


def _envelope(data: ev.EventData) -> CloudEvent:
    return codec.build(data, source="test", actor=ACTOR, correlation_id="prop")


@st.composite
def journeys(draw: st.DrawFn) -> Journey:
    """One pupil's events in recording order, with business dates that never go backwards."""
    stage = draw(st.sampled_from(STAGES))
    pupil, referral, placement = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    day = date(2026, 9, 1) + timedelta(days=draw(st.integers(0, 60)))

    def later(max_days: int = 40, min_days: int = 0) -> date:
        nonlocal day
        day += timedelta(days=draw(st.integers(min_days, max_days)))  # same-day steps included
        return day

    out = [ev.PupilReferredV1(
        occurred_at=day, pupil_id=pupil, referral_id=referral, referred_on=day,
        referrer=ev.Referrer(kind="local_authority"), reason="other",
        tier_requested=draw(st.sampled_from([1, 2, 3])), sen_provision="N",
        home_school_urn="123456",
    )]  # fmt: skip
    final = "referred"
    if stage != "referred":
        decision = "declined" if stage == "declined" else "accepted"
        d = later()
        out.append(ev.ReferralDecidedV1(
            occurred_at=d, pupil_id=pupil, referral_id=referral, decision=decision, decided_on=d
        ))  # fmt: skip
        final = decision
    if stage == "withdrawn":
        d = later()
        out.append(ev.ReferralWithdrawnV1(
            occurred_at=d, pupil_id=pupil, referral_id=referral, withdrawn_on=d, reason="moved"
        ))  # fmt: skip
        final = "withdrawn"
    order = STAGES.index(stage)
    if order >= STAGES.index("placed"):
        start = later()
        out.append(ev.PupilPlacedV1(
            occurred_at=start, pupil_id=pupil, placement_id=placement, referral_id=referral,
            provider_id=uuid.uuid4(), commissioner=ev.Commissioner(kind="local_authority"),
            tier=draw(st.sampled_from([1, 2, 3])), start_date=start, sessions_per_week=5,
            cost=ev.Cost(amount_pence=1000, per="week"), annual_cost_pence=39000,
            dual_registered=False, reason="other",
        ))  # fmt: skip
        final = "placed"
        for _ in range(draw(st.integers(0, 2))):
            d = later(20)
            out.append(ev.PlacementReviewedV1(
                occurred_at=d, pupil_id=pupil, review_id=uuid.uuid4(), placement_id=placement,
                reviewed_on=d, attendance=ev.Attendance(possible_sessions=10, attended_sessions=8),
                progress="expected", outcome="continue",
            ))  # fmt: skip
    if order >= STAGES.index("placement_ended"):
        d = later()
        out.append(ev.PlacementEndedV1(
            occurred_at=d, pupil_id=pupil, placement_id=placement, end_date=d, reason="completed"
        ))  # fmt: skip
        final = "placement_ended"
    if order >= STAGES.index("reintegrated"):
        d, reintegration = later(), uuid.uuid4()
        out.append(ev.PupilReintegratedV1(
            occurred_at=d, pupil_id=pupil, reintegration_id=reintegration, school_urn="654321",
            reintegrated_on=d, mode="phased",
        ))  # fmt: skip
        d = later(min_days=1)
        out.append(ev.SustainmentCheckedV1(
            occurred_at=d, pupil_id=pupil, reintegration_id=reintegration, checked_on=d,
            sustained=draw(st.booleans()),
        ))  # fmt: skip
        final = "reintegrated"
    if order >= STAGES.index("destination_confirmed"):
        d = later()
        out.append(ev.DestinationConfirmedV1(
            occurred_at=d, pupil_id=pupil, destination_id=uuid.uuid4(), activity_code=210,
            group="education_training", confirmed_on=d,
        ))  # fmt: skip
        final = "destination_confirmed"
    return Journey(pupil, final, tuple(_envelope(e) for e in out))


@st.composite
def deliveries(draw: st.DrawFn, journeys_: list[Journey]) -> list[CloudEvent]:
    """All events in one cross-topic interleaving: each topic's own order kept, some redelivered."""
    queues: dict[str, list[CloudEvent]] = {}
    for journey in journeys_:
        for event in journey.events:
            queues.setdefault(ev.BY_TYPE[event.type].topic, []).append(event)
    delivered: list[CloudEvent] = []
    copied: set[uuid.UUID] = set()
    while any(queues.values()):
        topic = draw(st.sampled_from(sorted(t for t, q in queues.items() if q)))
        event = queues[topic].pop(0)
        delivered.append(event)
        if event.id not in copied and draw(st.integers(0, 5)) == 5:
            copied.add(event.id)  # at-least-once: the same event again, later
            queues[topic].insert(draw(st.integers(0, len(queues[topic]))), event)
    return delivered


TOPICS = (topics.REFERRALS, topics.PLACEMENTS, topics.OUTCOMES)
