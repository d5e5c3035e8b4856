"""Outcomes' subscribers: keep replicas of known pupils and placements; no rules here."""

import asyncpg
from ap_chassis.errors import PermanentEventError
from ap_chassis.runtime import ConsumerSpec
from ap_schemas import topics
from ap_schemas.envelope import RawEvent
from ap_schemas.events import (
    EventData,
    PlacementEndedV1,
    PupilEventData,
    PupilPlacedV1,
    PupilPlacedV2,
)

from . import repository


async def replicate_pupil(conn: asyncpg.Connection, envelope: RawEvent, data: EventData) -> None:
    if not isinstance(data, PupilEventData):
        raise PermanentEventError(f"{envelope.type} is not a pupil event")
    await repository.remember_pupil(conn, data.pupil_id)


async def replicate_placement(
    conn: asyncpg.Connection, envelope: RawEvent, data: EventData
) -> None:
    if isinstance(data, PupilPlacedV1 | PupilPlacedV2):
        await repository.remember_pupil(conn, data.pupil_id)
        await repository.record_placement(
            conn,
            placement_id=data.placement_id,
            pupil_id=data.pupil_id,
            start_date=data.start_date,
            provider_id=data.provider_id,
            commissioner_urn=data.commissioner.urn,
        )
    elif isinstance(data, PlacementEndedV1) and not await repository.record_placement_end(
        conn, placement_id=data.placement_id, pupil_id=data.pupil_id, end_date=data.end_date
    ):
        # The placed event precedes its end on the same partition (same pupil key).
        raise PermanentEventError(f"end of unknown placement {data.placement_id}")


CONSUMERS = [
    ConsumerSpec("referrals", topics.REFERRALS, replicate_pupil),
    ConsumerSpec("placements", topics.PLACEMENTS, replicate_placement),
]
