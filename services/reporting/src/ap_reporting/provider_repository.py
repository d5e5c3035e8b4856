"""SQL for provider reporting (issue 12). Parameters are always bind parameters."""

from typing import Any
from uuid import UUID

import asyncpg
from ap_schemas.envelope import RawEvent

from .projection import JourneyEvent
from .provider_view import project_provider
from .repository import as_journey_events


async def insert_provider_event(conn: asyncpg.Connection, envelope: RawEvent, data: Any) -> None:
    await conn.execute(
        "INSERT INTO provider_events (event_id, provider_id, type, occurred_at, recorded_at, data)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING",
        envelope.id, data.provider_id, envelope.type, data.occurred_at, envelope.time,
        data.model_dump(mode="json"),
    )  # fmt: skip


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


JOURNEY_TYPES = [
    "journey.pupil.referred.v1", "journey.referral.decided.v1", "journey.referral.withdrawn.v1",
    "journey.pupil.placed.v1", "journey.placement.ended.v1", "journey.placement.reviewed.v1",
    "journey.pupil.reintegrated.v1", "journey.reintegration.sustainment_checked.v1",
    "journey.destination.confirmed.v1",
]  # fmt: skip


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
