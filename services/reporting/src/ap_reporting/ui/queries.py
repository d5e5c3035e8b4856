"""SQL the pages need beyond the API's (repository.py). Bind parameters only."""

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from ..projection import JourneyEvent
from ..reports import PlacementFact

CLOCK_TYPES = [
    "journey.pupil.referred.v1",
    "journey.referral.withdrawn.v1",
    "journey.placement.reviewed.v1",
    "journey.pupil.reintegrated.v1",
    "journey.reintegration.sustainment_checked.v1",
]
FACT_COLUMNS = (
    "placement_id, pupil_id, provider_id, commissioner, tier, start_date, end_date,"
    " annual_cost_pence, sessions_per_week, reason, home_school_urn"
)


def _fact(r: asyncpg.Record) -> PlacementFact:
    return PlacementFact(
        **{**dict(r), "placement_id": str(r["placement_id"]), "pupil_id": str(r["pupil_id"])}
    )


async def dual_registered(conn: asyncpg.Connection, placement_ids: list[str]) -> set[str]:
    """The placements whose placed event says the pupil stays on the school's roll too."""
    rows = await conn.fetch(
        "SELECT data->>'placement_id' AS id FROM journey_events"
        " WHERE type = 'journey.pupil.placed.v1' AND data->>'placement_id' = ANY($1)"
        " AND (data->>'dual_registered')::boolean",
        placement_ids,
    )
    return {r["id"] for r in rows}


CLOCK_FIELDS = ("placement_id", "referral_id", "reason", "excluded_on", "reintegration_id",
                "school_urn")  # fmt: skip


async def clock_events(
    conn: asyncpg.Connection, pupil_ids: list[UUID] | None, today: date
) -> dict[str, list[JourneyEvent]]:
    """The events the clocks read, by pupil: exclusions, withdrawals, reviews of placements still
    open, reintegrations; only the fields the clocks use (no JSON decoding of whole events)."""
    rows = await conn.fetch(
        "SELECT pupil_id, event_id, type, occurred_at, data->>'placement_id' AS placement_id,"
        " data->>'referral_id' AS referral_id, data->>'reason' AS reason,"
        " data->>'excluded_on' AS excluded_on, data->>'reintegration_id' AS reintegration_id,"
        " data->>'school_urn' AS school_urn FROM journey_events"
        " WHERE type = ANY($1) AND ($2::uuid[] IS NULL OR pupil_id = ANY($2))"
        " AND (type <> 'journey.pupil.referred.v1' OR data->>'reason' = 'permanent_exclusion')"
        " AND (type <> 'journey.placement.reviewed.v1' OR (data->>'placement_id')::uuid IN"
        " (SELECT placement_id FROM placement_facts WHERE end_date IS NULL OR end_date >= $3))",
        CLOCK_TYPES,
        pupil_ids,
        today,
    )
    out: dict[str, list[JourneyEvent]] = {}
    for r in rows:
        data = {k: r[k] for k in CLOCK_FIELDS if r[k] is not None}
        out.setdefault(str(r["pupil_id"]), []).append(
            JourneyEvent(r["event_id"], r["type"], r["occurred_at"], data)
        )
    return out


async def facts_of(conn: asyncpg.Connection, pupil_ids: list[UUID] | None) -> list[PlacementFact]:
    rows = await conn.fetch(
        f"SELECT {FACT_COLUMNS} FROM placement_facts"  # noqa: S608 (constant column list)
        " WHERE $1::uuid[] IS NULL OR pupil_id = ANY($1)",
        pupil_ids,
    )
    return [_fact(r) for r in rows]


async def clock_facts(
    conn: asyncpg.Connection, pupil_ids: list[UUID] | None, today: date
) -> list[PlacementFact]:
    """The placements the clocks read: those still open, and every placement of a pupil who was
    permanently excluded (the sixth-day clock stops when one starts)."""
    rows = await conn.fetch(
        f"SELECT {FACT_COLUMNS} FROM placement_facts"  # noqa: S608 (constant column list)
        " WHERE ($1::uuid[] IS NULL OR pupil_id = ANY($1))"
        " AND (end_date IS NULL OR end_date >= $2 OR pupil_id IN (SELECT pupil_id"
        "      FROM journey_events WHERE type = 'journey.pupil.referred.v1'"
        "      AND data->>'reason' = 'permanent_exclusion'))",
        pupil_ids,
        today,
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
