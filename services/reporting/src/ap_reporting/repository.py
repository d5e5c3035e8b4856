"""SQL for the reporting read models. Parameters are always bind parameters."""

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from .projection import JourneyEvent, PupilState


async def lock_pupil(conn: asyncpg.Connection, pupil_id: UUID) -> None:
    """Serialise the projection of one pupil across the concurrent topic consumers."""
    await conn.execute(
        "INSERT INTO pupil_state (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id
    )
    await conn.execute("SELECT 1 FROM pupil_state WHERE pupil_id = $1 FOR UPDATE", pupil_id)


async def insert_event(
    conn: asyncpg.Connection,
    *,
    event_id: UUID,
    pupil_id: UUID,
    type_: str,
    occurred_at: Any,
    recorded_at: datetime,
    source: str,
    data: dict[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO journey_events (event_id, pupil_id, type, occurred_at, recorded_at, source,"
        " data) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
        event_id,
        pupil_id,
        type_,
        occurred_at,
        recorded_at,
        source,
        data,
    )


async def pupil_events(conn: asyncpg.Connection, pupil_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT event_id, type, occurred_at, recorded_at, source, data FROM journey_events"
        " WHERE pupil_id = $1 ORDER BY occurred_at, event_id",
        pupil_id,
    )


def as_journey_events(rows: list[asyncpg.Record]) -> list[JourneyEvent]:
    return [JourneyEvent(r["event_id"], r["type"], r["occurred_at"], r["data"]) for r in rows]


async def save_state(conn: asyncpg.Connection, pupil_id: UUID, state: PupilState) -> None:
    await conn.execute(
        "UPDATE pupil_state SET status = $2, tier = $3, school_urns = $4, provider_ids = $5,"
        " updated_at = now() WHERE pupil_id = $1",
        pupil_id,
        state.status,
        state.tier,
        list(state.school_urns),
        list(state.provider_ids),
    )


async def get_state(conn: asyncpg.Connection, pupil_id: UUID) -> PupilState | None:
    row = await conn.fetchrow(
        "SELECT status, tier, school_urns, provider_ids FROM pupil_state WHERE pupil_id = $1",
        pupil_id,
    )
    if row is None or row["status"] is None:
        return None
    return PupilState(
        row["status"], row["tier"], tuple(row["school_urns"]), tuple(row["provider_ids"])
    )


async def upsert_identity(
    conn: asyncpg.Connection, pupil_id: UUID, details: dict[str, Any], recorded_at: datetime
) -> None:
    """Keep the latest identity: an older event arriving late never overwrites a newer one."""
    await conn.execute(
        "INSERT INTO pupil_identity (pupil_id, details, recorded_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (pupil_id) DO UPDATE SET details = EXCLUDED.details,"
        " recorded_at = EXCLUDED.recorded_at"
        " WHERE pupil_identity.recorded_at <= EXCLUDED.recorded_at",
        pupil_id,
        details,
        recorded_at,
    )


async def upsert_provider(
    conn: asyncpg.Connection, provider_id: UUID, details: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO providers (provider_id, details) VALUES ($1, $2)"
        " ON CONFLICT (provider_id) DO UPDATE SET details = EXCLUDED.details",
        provider_id,
        details,
    )


async def caseload(
    conn: asyncpg.Connection,
    *,
    status: str | None,
    tier: int | None,
    school_urn: str | None,
    provider_id: str | None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT status, tier, count(*) AS n FROM pupil_state WHERE status IS NOT NULL"
        " AND ($1::text IS NULL OR status = $1) AND ($2::smallint IS NULL OR tier = $2)"
        " AND ($3::text IS NULL OR $3 = ANY (school_urns))"
        " AND ($4::text IS NULL OR $4 = ANY (provider_ids))"
        " GROUP BY status, tier",
        status,
        tier,
        school_urn,
        provider_id,
    )
