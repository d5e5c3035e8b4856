"""SQL for the outcomes service's own tables. Parameters are always bind parameters."""

from typing import Any
from uuid import UUID

import asyncpg

from .domain import PlacementFact, Reintegration


async def lock_pupil(conn: asyncpg.Connection, pupil_id: UUID) -> None:
    """Serialise one pupil's writes so their outbox rows commit in order."""
    await conn.execute("INSERT INTO pupils (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id)
    await conn.execute("SELECT 1 FROM pupils WHERE pupil_id = $1 FOR UPDATE", pupil_id)


async def remember_pupil(conn: asyncpg.Connection, pupil_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO known_pupils (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id
    )


async def pupil_known(conn: asyncpg.Connection, pupil_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM known_pupils WHERE pupil_id = $1", pupil_id))


async def record_placement(
    conn: asyncpg.Connection,
    *,
    placement_id: UUID,
    pupil_id: UUID,
    start_date: Any,
    provider_id: UUID,
    commissioner_urn: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO placement_replica"
        " (placement_id, pupil_id, start_date, provider_id, commissioner_urn)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (placement_id) DO UPDATE SET"
        " start_date = EXCLUDED.start_date, provider_id = EXCLUDED.provider_id,"
        " commissioner_urn = EXCLUDED.commissioner_urn",
        placement_id, pupil_id, start_date, provider_id, commissioner_urn,
    )  # fmt: skip


async def record_placement_end(
    conn: asyncpg.Connection, *, placement_id: UUID, pupil_id: UUID, end_date: Any
) -> bool:
    status = await conn.execute(
        "UPDATE placement_replica SET end_date = $2 WHERE placement_id = $1 AND pupil_id = $3",
        placement_id,
        end_date,
        pupil_id,
    )
    return str(status).endswith(" 1")


def _fact(row: asyncpg.Record) -> PlacementFact:
    return PlacementFact(**dict(row))


async def get_placement(conn: asyncpg.Connection, placement_id: UUID) -> PlacementFact | None:
    row = await conn.fetchrow(
        "SELECT placement_id, pupil_id, start_date, end_date, provider_id, commissioner_urn"
        " FROM placement_replica"
        " WHERE placement_id = $1",
        placement_id,
    )
    return _fact(row) if row else None


async def pupil_placements(conn: asyncpg.Connection, pupil_id: UUID) -> list[PlacementFact]:
    rows = await conn.fetch(
        "SELECT placement_id, pupil_id, start_date, end_date, provider_id, commissioner_urn"
        " FROM placement_replica"
        " WHERE pupil_id = $1",
        pupil_id,
    )
    return [_fact(r) for r in rows]


async def get_reintegration(
    conn: asyncpg.Connection, reintegration_id: UUID
) -> Reintegration | None:
    row = await conn.fetchrow(
        "SELECT reintegration_id, pupil_id, reintegrated_on, school_urn, placement_id"
        " FROM reintegrations"
        " WHERE reintegration_id = $1",
        reintegration_id,
    )
    return Reintegration(**dict(row)) if row else None


async def save_sustainment(
    conn: asyncpg.Connection, reintegration_id: UUID, checked_on: Any, sustained: bool
) -> None:
    await conn.execute(
        "UPDATE reintegrations SET checked_on = $2, sustained = $3 WHERE reintegration_id = $1",
        reintegration_id,
        checked_on,
        sustained,
    )
