"""Reporting's subscribers: translate events into read-model updates, a batch at a time; no rules.

A batch of journey events is applied set-wise in the consumer's one transaction: the events are
recorded in one statement, each touched pupil is locked (sorted ids: no deadlock between the
topics' consumers) and recomputed ONCE from all their events, and the states and placement facts
are saved set-wise, with their outcome facts (outcome_facts.py). The state never depends on the
order events arrive in (projection.py).
"""

from collections.abc import Sequence

import asyncpg
from ap_chassis.errors import PermanentEventError
from ap_chassis.runtime import ConsumerSpec
from ap_schemas import topics
from ap_schemas.envelope import RawEvent
from ap_schemas.events import (
    EventData,
    PlacementEndedV1,
    ProviderEventData,
    ProviderRegisteredV1,
    ProviderRegistrationChangedV1,
    PupilEventData,
    PupilIdentityRecordedV1,
    PupilReferredV1,
)

from . import placement_facts, privacy, projection, provider_repository, repository
from .outcome_facts import OUTCOME_MODELS, outcome_facts_of
from .policy import policy

# Events that change a pupil's placement facts (the referral gives the placement's home school).
PLACEMENT_MODELS = (*projection.PLACED_MODELS, PupilReferredV1, PlacementEndedV1)
# Events that change a pupil's outcome facts: an outcome, or a placement it may count for.
FACT_MODELS = (*PLACEMENT_MODELS, *OUTCOME_MODELS)
REGISTRATION_MODELS = (ProviderRegisteredV1, ProviderRegistrationChangedV1)


async def apply_journey_batch(
    conn: asyncpg.Connection, events: Sequence[tuple[RawEvent, EventData]]
) -> None:
    """Apply a batch of journey events (new to this consumer) inside the caller's transaction:
    the one entry point for the journey consumers and for a rebuild into a fresh schema."""
    pupils: list[tuple[RawEvent, PupilEventData]] = []
    providers: list[tuple[RawEvent, ProviderEventData]] = []
    for envelope, data in events:
        if isinstance(data, ProviderEventData):
            providers.append((envelope, data))
        elif isinstance(data, PupilEventData):
            pupils.append((envelope, data))
        else:
            raise PermanentEventError(f"{envelope.type} is not a pupil event")
    if providers:
        await _apply_provider_events(conn, providers)
    if pupils:
        await _apply_pupil_events(conn, pupils)


async def project_journey_event(
    conn: asyncpg.Connection, envelope: RawEvent, data: EventData
) -> None:
    """Apply one journey event: a batch of one."""
    await apply_journey_batch(conn, [(envelope, data)])


async def _apply_pupil_events(
    conn: asyncpg.Connection, events: Sequence[tuple[RawEvent, PupilEventData]]
) -> None:
    """Record the events on the pupils' timelines and recompute each touched pupil once."""
    pupil_ids = sorted({data.pupil_id for _, data in events})
    await repository.lock_pupils(conn, pupil_ids)
    await repository.insert_events(conn, events)
    refacts = sorted({d.pupil_id for _, d in events if isinstance(d, PLACEMENT_MODELS)})
    reoutcomes = sorted({d.pupil_id for _, d in events if isinstance(d, FACT_MODELS)})
    timelines = await repository.events_of_pupils(conn, pupil_ids)
    states = {p: projection.project(timelines.get(p, [])) for p in pupil_ids}
    await repository.save_states(conn, states)
    placements = {
        p: placement_facts.placements_of(map(projection.untyped, timelines.get(p, [])), str(p))
        for p in reoutcomes
    }
    if refacts:
        facts = [fact for p in refacts for fact in placements[p]]
        await repository.replace_placement_facts_of(conn, refacts, facts)
    if reoutcomes:
        rule = policy()
        outcomes = [
            fact
            for p in reoutcomes
            for fact in outcome_facts_of(timelines.get(p, []), placements[p], rule)
        ]
        await repository.replace_outcome_facts_of(conn, reoutcomes, outcomes)


async def _apply_provider_events(
    conn: asyncpg.Connection, events: Sequence[tuple[RawEvent, ProviderEventData]]
) -> None:
    """Hold every provider event, whether or not its registration has arrived yet; a
    registration sets the provider's details, then its latest registration state."""
    await provider_repository.insert_provider_events(conn, events)
    for _, data in events:
        if isinstance(data, ProviderRegisteredV1):
            await repository.upsert_provider(conn, data.provider_id, data.model_dump(mode="json"))
    registered = {d.provider_id for _, d in events if isinstance(d, REGISTRATION_MODELS)}
    for provider_id in sorted(registered):
        await provider_repository.apply_latest_registration(conn, provider_id)


async def record_identity(conn: asyncpg.Connection, envelope: RawEvent, data: EventData) -> None:
    """Keep the latest identity of a pupil (journey.identity); anything else there is poison."""
    if not isinstance(data, PupilIdentityRecordedV1):
        raise PermanentEventError(f"{envelope.type} is not an identity event")
    details = data.model_dump(mode="json")
    await repository.upsert_identity(conn, data.pupil_id, details, envelope.time)


CONSUMERS = [
    ConsumerSpec("journey", topic, project_journey_event, apply_batch=apply_journey_batch)
    for topic in (topics.REFERRALS, topics.PROVIDERS, topics.PLACEMENTS, topics.OUTCOMES)
] + [
    ConsumerSpec(
        "identity",
        topics.IDENTITY,
        privacy.unless_erased(record_identity),
        on_tombstone=privacy.forget_identity,
    ),
]
