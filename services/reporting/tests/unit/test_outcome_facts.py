"""The outcome facts the projection decides once, as a pure function: attribution by date, a
reintegration's latest check, a review's on-time flag, whatever order the events come in."""

import uuid
from datetime import date

from ap_reporting.outcome_facts import outcome_facts_of
from ap_reporting.placement_facts import PlacementFact
from ap_reporting.policy import policy
from ap_reporting.projection import TypedEvent
from ap_schemas import events as ev

PUPIL = uuid.uuid4()
P1, P2, RID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PLACEMENTS = [
    PlacementFact(str(P1), str(PUPIL), "prov-a", "local_authority", 2, date(2026, 9, 1),
                  date(2026, 10, 31), 100),
    PlacementFact(str(P2), str(PUPIL), "prov-b", "local_authority", 3, date(2026, 11, 2), None,
                  100),
]  # fmt: skip


def typed(data: ev.EventData) -> TypedEvent:
    return TypedEvent(uuid.uuid4(), data)


def day(text: str) -> date:
    return date.fromisoformat(text)


EVENTS = [
    typed(ev.PlacementReviewedV1(
        occurred_at=day("2026-10-01"), pupil_id=PUPIL, review_id=uuid.uuid4(), placement_id=P1,
        reviewed_on=day("2026-10-01"), progress="expected", outcome="continue",
        attendance=ev.Attendance(possible_sessions=10, attended_sessions=8),
    )),
    typed(ev.DestinationConfirmedV1(
        occurred_at=day("2026-08-20"), pupil_id=PUPIL, destination_id=uuid.uuid4(),
        activity_code=540, group="neet", confirmed_on=day("2026-08-20"),
    )),
    typed(ev.PupilReintegratedV1(
        occurred_at=day("2026-12-01"), pupil_id=PUPIL, reintegration_id=RID, school_urn="100001",
        reintegrated_on=day("2026-12-01"), mode="phased",
    )),
    typed(ev.SustainmentCheckedV1(occurred_at=day("2027-03-01"), pupil_id=PUPIL,
                                  reintegration_id=RID, checked_on=day("2027-03-01"),
                                  sustained=True)),
    typed(ev.SustainmentCheckedV1(occurred_at=day("2027-02-01"), pupil_id=PUPIL,
                                  reintegration_id=RID, checked_on=day("2027-02-01"),
                                  sustained=False)),
]  # fmt: skip


def test_each_outcome_counts_for_its_placement_decided_once():
    facts = {f.kind + f.occurred_at.isoformat(): f
             for f in outcome_facts_of(EVENTS, PLACEMENTS, policy())}  # fmt: skip
    review = facts["review2026-10-01"]
    assert (review.provider_id, review.tier, review.on_time) == ("prov-a", 2, True)
    assert (review.possible_sessions, review.attended_sessions) == (10, 8)
    before_any = facts["destination2026-08-20"]
    assert before_any.placement_id is None and before_any.activity_code == 540
    reintegration = facts["reintegration2026-12-01"]
    assert reintegration.provider_id == "prov-b"  # no placement named: the latest started
    assert reintegration.sustained is True  # the latest check, not the last to arrive


def test_the_facts_do_not_depend_on_the_order_the_events_came_in():
    assert outcome_facts_of(EVENTS[::-1], PLACEMENTS[::-1], policy()) == outcome_facts_of(
        EVENTS, PLACEMENTS, policy()
    )
