"""SQL the pages need beyond the API's (repository.py). Bind parameters only."""

from typing import Any
from uuid import UUID

import asyncpg

from ..placement_facts import PlacementFact

FACT_COLUMNS = (
    "placement_id, pupil_id, provider_id, commissioner, tier, start_date, end_date,"
    " annual_cost_pence, sessions_per_week, reason, home_school_urn"
)


def _fact(r: asyncpg.Record) -> PlacementFact:
    return PlacementFact(
        **{**dict(r), "placement_id": str(r["placement_id"]), "pupil_id": str(r["pupil_id"])}
    )


async def facts_of(conn: asyncpg.Connection, pupil_ids: list[UUID] | None) -> list[PlacementFact]:
    rows = await conn.fetch(
        f"SELECT {FACT_COLUMNS} FROM placement_facts"  # noqa: S608 (constant column list)
        " WHERE $1::uuid[] IS NULL OR pupil_id = ANY($1)",
        pupil_ids,
    )
    return [_fact(r) for r in rows]


async def pupils_of_school(conn: asyncpg.Connection, urn: str) -> list[UUID]:
    rows = await conn.fetch("SELECT pupil_id FROM pupil_state WHERE $1 = ANY (school_urns)", urn)
    return [r["pupil_id"] for r in rows]


async def pupils_of_provider(conn: asyncpg.Connection, provider_id: str) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT pupil_id FROM pupil_state WHERE $1 = ANY (provider_ids)", provider_id
    )
    return [r["pupil_id"] for r in rows]


async def identity(conn: asyncpg.Connection, pupil_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT details FROM pupil_identity WHERE pupil_id = $1", pupil_id)
    return None if row is None else dict(row["details"])
