"""Reporting's subscribers: translate each event into a read-model update; no rules here."""

from collections.abc import Sequence

import asyncpg
from ap_chassis.errors import PermanentEventError
from ap_chassis.runtime import ConsumerSpec
from ap_schemas import topics
from ap_schemas.envelope import RawEvent
from ap_schemas.events import (
    EventData,
    ProviderEventData,
    ProviderRegisteredV1,
    ProviderRegistrationChangedV1,
    PupilEventData,
    PupilIdentityRecordedV1,
)

from . import privacy, projection, provider_repository, reports, repository

# Events that change a pupil's placement facts (the referral gives the placement's home school).
PLACEMENT_TYPES = projection.PLACED_TYPES | {
    "journey.pupil.referred.v1",
    "journey.placement.ended.v1",
}


async def project_journey_event(
    conn: asyncpg.Connection, envelope: RawEvent, data: EventData
) -> None:
    """Record the event on the pupil's timeline and recompute the pupil's state."""
    if isinstance(data, ProviderEventData):
        # every provider event is held, whether or not its registration has arrived yet
        await provider_repository.insert_provider_event(conn, envelope, data)
        if isinstance(data, ProviderRegisteredV1):
            await repository.upsert_provider(conn, data.provider_id, data.model_dump(mode="json"))
        if isinstance(data, ProviderRegisteredV1 | ProviderRegistrationChangedV1):
            await provider_repository.apply_latest_registration(conn, data.provider_id)
        return
    if not isinstance(data, PupilEventData):
        raise PermanentEventError(f"{envelope.type} is not a pupil event")
    await repository.lock_pupil(conn, data.pupil_id)
    await repository.insert_event(
        conn,
        event_id=envelope.id,
        pupil_id=data.pupil_id,
        type_=envelope.type,
        occurred_at=data.occurred_at,
        recorded_at=envelope.time,
        source=envelope.source,
        data=data.model_dump(mode="json"),
    )
    events = repository.as_journey_events(await repository.pupil_events(conn, data.pupil_id))
    await repository.save_state(conn, data.pupil_id, projection.project(events))
    if envelope.type in PLACEMENT_TYPES:
        facts = reports.placements_of(events, str(data.pupil_id))
        await repository.replace_placement_facts(conn, data.pupil_id, facts)


async def apply_journey_batch(
    conn: asyncpg.Connection, events: Sequence[tuple[RawEvent, EventData]]
) -> None:
    """Apply a batch of journey events (new to this consumer) inside the caller's transaction:
    the one entry point for the journey consumers and for a rebuild into a fresh schema."""
    for envelope, data in events:
        await project_journey_event(conn, envelope, data)


async def record_identity(conn: asyncpg.Connection, envelope: RawEvent, data: EventData) -> None:
    if not isinstance(data, PupilIdentityRecordedV1):
        raise PermanentEventError(f"{envelope.type} is not an identity event")
    details = data.model_dump(mode="json")
    await repository.upsert_identity(conn, data.pupil_id, details, envelope.time)


CONSUMERS = [
    ConsumerSpec("journey", topics.REFERRALS, project_journey_event),
    ConsumerSpec("journey", topics.PROVIDERS, project_journey_event),
    ConsumerSpec("journey", topics.PLACEMENTS, project_journey_event),
    ConsumerSpec("journey", topics.OUTCOMES, project_journey_event),
    ConsumerSpec(
        "identity",
        topics.IDENTITY,
        privacy.unless_erased(record_identity),
        on_tombstone=privacy.forget_identity,
    ),
]
