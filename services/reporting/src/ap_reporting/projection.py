"""A pupil's state, computed from their events. Pure, and the same whatever the arrival order.

Events from different topics arrive in no particular order (architecture.md 4), so the state is
never updated incrementally: it is recomputed from all the pupil's events sorted by business date,
then event id (time-ordered UUIDs, so same-day events keep the order they were recorded in).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

# Both versions of the placed event: v2 is a placement whose cost is not known.
PLACED_TYPES = frozenset({"journey.pupil.placed.v1", "journey.pupil.placed.v2"})
STATUS_BY_TYPE = {
    "journey.pupil.referred.v1": "referred",
    "journey.referral.withdrawn.v1": "withdrawn",
    "journey.pupil.placed.v1": "placed",
    "journey.pupil.placed.v2": "placed",
    "journey.placement.ended.v1": "placement_ended",
    "journey.pupil.reintegrated.v1": "reintegrated",
    "journey.destination.confirmed.v1": "destination_confirmed",
}
STATUSES = (
    "referred", "accepted", "declined", "withdrawn", "placed", "placement_ended",
    "reintegrated", "destination_confirmed",
)  # fmt: skip


@dataclass(frozen=True)
class JourneyEvent:
    event_id: UUID
    type: str
    occurred_at: date
    data: dict[str, Any]

    @property
    def order(self) -> tuple[date, UUID]:
        return (self.occurred_at, self.event_id)


@dataclass(frozen=True)
class PupilState:
    status: str | None
    tier: int | None
    school_urns: tuple[str, ...]
    provider_ids: tuple[str, ...]


def status_after(event: JourneyEvent) -> str | None:
    """The status an event moves a pupil to, or None when it leaves the status alone."""
    if event.type == "journey.referral.decided.v1":
        return "accepted" if event.data.get("decision") == "accepted" else "declined"
    return STATUS_BY_TYPE.get(event.type)


def project(events: Iterable[JourneyEvent]) -> PupilState:
    status: str | None = None
    tier: int | None = None
    schools: set[str] = set()
    providers: set[str] = set()
    for event in sorted(events, key=lambda e: e.order):
        data = event.data
        status = status_after(event) or status
        if event.type == "journey.pupil.referred.v1":
            tier = data.get("tier_requested", tier)
            schools.update(
                u for u in (data.get("home_school_urn"), data["referrer"].get("urn")) if u
            )
        elif event.type in PLACED_TYPES:
            tier = data.get("tier", tier)
            providers.add(str(data["provider_id"]))
            if urn := data["commissioner"].get("urn"):
                schools.add(urn)
        elif event.type == "journey.pupil.reintegrated.v1":
            schools.add(data["school_urn"])
    return PupilState(status, tier, tuple(sorted(schools)), tuple(sorted(providers)))
