"""The reporting projection reaches the same read model whatever the cross-topic interleaving.

Pure: the in-memory read model (reporting_reference.ReadModel) has the consumer's semantics (skip
by event id, recompute the pupil from all their events); integration/test_projection_sql.py runs
the same property on PostgreSQL.
"""

from datetime import date
from uuid import uuid4

from ap_reporting.projection import PupilState, TypedEvent, project
from ap_schemas import events as ev
from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import Journey, deliveries, journeys
from reporting_reference import replay


@settings(max_examples=300, deadline=None)
@given(data=st.data(), pupils=st.lists(journeys(), min_size=1, max_size=4))
def test_any_interleaving_with_redeliveries_gives_the_same_read_model(
    data: st.DataObject, pupils: list[Journey]
) -> None:
    in_order = replay([e for j in pupils for e in j.events])
    shuffled = replay(data.draw(deliveries(pupils)))
    for journey in pupils:
        assert shuffled.state(journey.pupil_id) == in_order.state(journey.pupil_id)
        assert shuffled.timeline(journey.pupil_id) == in_order.timeline(journey.pupil_id)
        assert shuffled.state(journey.pupil_id).status == journey.final_status
        assert shuffled.timeline(journey.pupil_id) == [e.id for e in journey.events]


PUPIL, REFERRAL, PLACEMENT = uuid4(), uuid4(), uuid4()


def event(model: type[ev.PupilEventData], day: int, **data) -> TypedEvent:
    on = date(2026, 9, day)
    return TypedEvent(uuid4(), model(occurred_at=on, pupil_id=PUPIL, **data))


def referred(day: int) -> TypedEvent:
    return event(
        ev.PupilReferredV1, day, referral_id=REFERRAL, referred_on=date(2026, 9, day),
        referrer=ev.Referrer(kind="school", urn="222222"), reason="other", tier_requested=2,
        sen_provision="N", home_school_urn="111111",
    )  # fmt: skip


def decided(day: int, decision: str) -> TypedEvent:
    on = date(2026, 9, day)
    return event(ev.ReferralDecidedV1, day, referral_id=REFERRAL, decision=decision, decided_on=on)


def test_status_follows_business_time_not_arrival():
    provider = uuid4()
    placed = event(
        ev.PupilPlacedV1, 14, placement_id=PLACEMENT, referral_id=REFERRAL, provider_id=provider,
        commissioner=ev.Commissioner(kind="school", urn="333333"), tier=3,
        start_date=date(2026, 9, 14), sessions_per_week=5,
        cost=ev.Cost(amount_pence=1000, per="week"), annual_cost_pence=52000,
        dual_registered=False, reason="other",
    )  # fmt: skip
    state = project([placed, decided(8, "accepted"), referred(7)])
    assert state == PupilState("placed", 3, ("111111", "222222", "333333"), (str(provider),))


def test_a_review_leaves_the_status_alone():
    review = event(
        ev.PlacementReviewedV1, 9, review_id=uuid4(), placement_id=PLACEMENT,
        reviewed_on=date(2026, 9, 9),
        attendance=ev.Attendance(possible_sessions=10, attended_sessions=8),
        progress="expected", outcome="continue",
    )  # fmt: skip
    assert project([referred(7), review]).status == "referred"


def test_declined_and_withdrawn():
    assert project([referred(7), decided(8, "declined")]).status == "declined"
    withdrawn = event(
        ev.ReferralWithdrawnV1, 9, referral_id=REFERRAL, withdrawn_on=date(2026, 9, 9),
        reason="moved",
    )  # fmt: skip
    assert project([withdrawn, referred(7)]).status == "withdrawn"
