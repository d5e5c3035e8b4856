"""The reporting projection reaches the same read model whatever the cross-topic interleaving.

Pure: the in-memory read model has the consumer's semantics (skip by event id, recompute the
pupil from all their events). tests/test_projection_sql.py runs the same property on PostgreSQL.
"""

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4

from ap_reporting.projection import JourneyEvent, PupilState, project
from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import Journey, deliveries, journeys


@dataclass
class ReadModel:
    """The read model in memory, with the consumer's semantics: duplicates skipped by event id,
    each pupil's state recomputed from all their events. The SQL projection must agree."""

    events: dict[UUID, dict[UUID, JourneyEvent]] = field(default_factory=dict)

    def apply(self, pupil_id: UUID, event: JourneyEvent) -> bool:
        """Apply one delivery; False when that event was already applied."""
        mine = self.events.setdefault(pupil_id, {})
        if event.event_id in mine:
            return False
        mine[event.event_id] = event
        return True

    def state(self, pupil_id: UUID) -> PupilState:
        return project(self.events.get(pupil_id, {}).values())

    def timeline(self, pupil_id: UUID) -> list[UUID]:
        return [
            e.event_id
            for e in sorted(self.events.get(pupil_id, {}).values(), key=lambda e: e.order)
        ]


def as_journey_event(envelope) -> JourneyEvent:
    return JourneyEvent(
        envelope.id, envelope.type, envelope.data.occurred_at, envelope.data.model_dump(mode="json")
    )


def replay(delivered) -> ReadModel:
    model = ReadModel()
    for envelope in delivered:
        model.apply(envelope.data.pupil_id, as_journey_event(envelope))
    return model


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


def event(type_: str, day: int, **data) -> JourneyEvent:
    return JourneyEvent(uuid4(), type_, date(2026, 9, day), data)


REFERRED = {
    "tier_requested": 2,
    "home_school_urn": "111111",
    "referrer": {"kind": "school", "urn": "222222"},
}


def test_status_follows_business_time_not_arrival():
    placed = event("journey.pupil.placed.v1", 14, tier=3, provider_id="p1",
                   commissioner={"kind": "school", "urn": "333333"})  # fmt: skip
    referred = event("journey.pupil.referred.v1", 7, **REFERRED)
    accepted = event("journey.referral.decided.v1", 8, decision="accepted")
    state = project([placed, accepted, referred])
    assert state == PupilState("placed", 3, ("111111", "222222", "333333"), ("p1",))


def test_a_review_leaves_the_status_alone():
    referred = event("journey.pupil.referred.v1", 7, **REFERRED)
    review = event("journey.placement.reviewed.v1", 9)
    assert project([referred, review]).status == "referred"


def test_declined_and_withdrawn():
    referred = event("journey.pupil.referred.v1", 7, **REFERRED)
    declined = event("journey.referral.decided.v1", 8, decision="declined")
    assert project([referred, declined]).status == "declined"
    withdrawn = event("journey.referral.withdrawn.v1", 9)
    assert project([withdrawn, referred]).status == "withdrawn"
