"""SQL for provider reporting. Parameters are always bind parameters."""

from collections.abc import Sequence
from uuid import UUID

import asyncpg
from ap_schemas.envelope import RawEvent
from ap_schemas.events import (
    DestinationConfirmedV1,
    PlacementEndedV1,
    PlacementReviewedV1,
    ProviderEventData,
    PupilPlacedV1,
    PupilReferredV1,
    PupilReintegratedV1,
    ReferralDecidedV1,
    ReferralWithdrawnV1,
    SustainmentCheckedV1,
)

from .event_types import types_of
from .projection import JourneyEvent
from .provider_view import project_provider
from .repository import as_journey_events, columns_of


async def insert_provider_events(
    conn: asyncpg.Connection, events: Sequence[tuple[RawEvent, ProviderEventData]]
) -> None:
    """Hold the provider events in one statement (a held one is kept)."""
    await conn.execute(
        "INSERT INTO provider_events (event_id, provider_id, type, occurred_at, recorded_at, data)"
        " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::date[],"
        " $5::timestamptz[], $6::jsonb[]) ON CONFLICT (event_id) DO NOTHING",
        *columns_of(
            (e.id, d.provider_id, e.type, d.occurred_at, e.time, d.model_dump(mode="json"))
            for e, d in events
        ),
    )


async def provider_events(
    conn: asyncpg.Connection, provider_id: UUID | None = None
) -> list[JourneyEvent]:
    """One provider's events (every provider's without an id), held whatever their order."""
    rows = await conn.fetch(
        "SELECT event_id, type, occurred_at, data FROM provider_events"
        " WHERE $1::uuid IS NULL OR provider_id = $1 ORDER BY occurred_at, event_id",
        provider_id,
    )
    return as_journey_events(rows)


async def apply_latest_registration(conn: asyncpg.Connection, provider_id: UUID) -> None:
    """Set the provider details reports and the AP census read to its latest registration,
    whatever order its registration events arrived in (nothing until it is registered here)."""
    await conn.execute("SELECT 1 FROM providers WHERE provider_id = $1 FOR UPDATE", provider_id)
    view = project_provider(str(provider_id), await provider_events(conn, provider_id))
    if not view.known:
        return
    await conn.execute(
        "UPDATE providers SET details = details || jsonb_build_object('registered', $2::boolean)"
        " || CASE WHEN $3::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('urn', $3::text)"
        " END WHERE provider_id = $1",
        provider_id, view.registered, view.urn,
    )  # fmt: skip


JOURNEY_TYPES = types_of(
    PupilReferredV1, ReferralDecidedV1, ReferralWithdrawnV1, PupilPlacedV1, PlacementEndedV1,
    PlacementReviewedV1, PupilReintegratedV1, SustainmentCheckedV1, DestinationConfirmedV1,
)  # fmt: skip


async def journey_events_of_pupils(
    conn: asyncpg.Connection, pupil_ids: list[UUID] | None
) -> dict[str, list[JourneyEvent]]:
    """The journey events of the given pupils (of every pupil for None), by pupil."""
    rows = await conn.fetch(
        "SELECT pupil_id, event_id, type, occurred_at, data FROM journey_events"
        " WHERE type = ANY($1) AND ($2::uuid[] IS NULL OR pupil_id = ANY($2))"
        " ORDER BY occurred_at, event_id",
        JOURNEY_TYPES, pupil_ids,
    )  # fmt: skip
    out: dict[str, list[JourneyEvent]] = {}
    for r in rows:
        out.setdefault(str(r["pupil_id"]), []).append(
            JourneyEvent(r["event_id"], r["type"], r["occurred_at"], r["data"])
        )
    return out


async def pupils_of_provider(conn: asyncpg.Connection, provider_id: UUID) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT pupil_id FROM placement_facts WHERE provider_id = $1", str(provider_id)
    )
    return [r["pupil_id"] for r in rows]
