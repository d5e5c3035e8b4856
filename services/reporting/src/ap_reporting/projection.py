"""A pupil's state, computed from their events. Pure, and the same whatever the arrival order.

Events from different topics arrive in no particular order (docs/architecture.md), so the state is
never updated incrementally: it is recomputed from all the pupil's events sorted by business date,
then event id (time-ordered UUIDs, so same-day events keep the order they were recorded in).
The projection reads typed events (the schema package's models) and dispatches on the model.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ap_schemas.events import (
    BY_MODEL,
    BY_TYPE,
    DestinationConfirmedV1,
    EventData,
    PlacementEndedV1,
    PupilPlacedV1,
    PupilPlacedV2,
    PupilReferredV1,
    PupilReintegratedV1,
    ReferralDecidedV1,
    ReferralWithdrawnV1,
)

from .event_types import types_of

# Both versions of the placed event: v2 is a placement whose cost is not known.
PLACED_MODELS = (PupilPlacedV1, PupilPlacedV2)
PLACED_TYPES = frozenset(types_of(*PLACED_MODELS))
STATUSES = (
    "referred", "accepted", "declined", "withdrawn", "placed", "placement_ended",
    "reintegrated", "destination_confirmed",
)  # fmt: skip


@dataclass(frozen=True)
class JourneyEvent:
    """An event as the read paths hold it: its type and its data as stored (JSON)."""

    event_id: UUID
    type: str
    occurred_at: date
    data: dict[str, Any]

    @property
    def order(self) -> tuple[date, UUID]:
        return (self.occurred_at, self.event_id)


@dataclass(frozen=True)
class TypedEvent:
    """An event as the projection reads it: its id and its data as the schema's model."""

    event_id: UUID
    data: EventData

    @property
    def order(self) -> tuple[date, UUID]:
        return (self.data.occurred_at, self.event_id)


def typed(event: JourneyEvent) -> TypedEvent:
    """A stored event re-validated into its model, by its stored type."""
    return TypedEvent(event.event_id, BY_TYPE[event.type].model.model_validate(event.data))


def untyped(event: TypedEvent) -> JourneyEvent:
    """The event as the read paths hold it (its type and its data as JSON)."""
    data = event.data
    return JourneyEvent(
        event.event_id, BY_MODEL[type(data)].type, data.occurred_at, data.model_dump(mode="json")
    )


@dataclass(frozen=True)
class PupilState:
    status: str | None
    tier: int | None
    school_urns: tuple[str, ...]
    provider_ids: tuple[str, ...]


STATUS_AFTER: dict[type[EventData], Callable[[Any], str]] = {
    PupilReferredV1: lambda _: "referred",
    ReferralDecidedV1: lambda d: str(d.decision),
    ReferralWithdrawnV1: lambda _: "withdrawn",
    PupilPlacedV1: lambda _: "placed",
    PupilPlacedV2: lambda _: "placed",
    PlacementEndedV1: lambda _: "placement_ended",
    PupilReintegratedV1: lambda _: "reintegrated",
    DestinationConfirmedV1: lambda _: "destination_confirmed",
}


def status_after(data: EventData) -> str | None:
    """The status an event moves a pupil to, or None when it leaves the status alone."""
    after = STATUS_AFTER.get(type(data))
    return after(data) if after else None


def project(events: Iterable[TypedEvent]) -> PupilState:
    """A pupil's state from all their events, in business order (occurred_at, then id), whatever
    order they arrived in: the same events always give the same state."""
    status: str | None = None
    tier: int | None = None
    schools: set[str] = set()
    providers: set[str] = set()
    for event in sorted(events, key=lambda e: e.order):
        data = event.data
        status = status_after(data) or status
        if isinstance(data, PupilReferredV1):
            tier = data.tier_requested
            schools.update(u for u in (data.home_school_urn, data.referrer.urn) if u)
        elif isinstance(data, PLACED_MODELS):
            tier = data.tier
            providers.add(str(data.provider_id))
            if urn := data.commissioner.urn:
                schools.add(urn)
        elif isinstance(data, PupilReintegratedV1):
            schools.add(data.school_urn)
    return PupilState(status, tier, tuple(sorted(schools)), tuple(sorted(providers)))
