"""SQL for the reporting read models. Parameters are always bind parameters."""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from ap_schemas.envelope import RawEvent
from ap_schemas.events import (
    BY_TYPE,
    DestinationConfirmedV1,
    PlacementReviewedV1,
    PupilEventData,
    PupilReintegratedV1,
    SustainmentCheckedV1,
)

from .event_types import CHECKED, DESTINATION, types_of
from .outcome_facts import OutcomeFact
from .placement_facts import PlacementFact
from .projection import JourneyEvent, PupilState, TypedEvent


async def lock_pupils(conn: asyncpg.Connection, pupil_ids: Sequence[UUID]) -> None:
    """Serialise the projection of these pupils across the concurrent topic consumers. Rows are
    created and locked in sorted id order, so two batches never wait on each other in a cycle."""
    ids = sorted(set(pupil_ids))
    await conn.execute(
        "INSERT INTO pupil_state (pupil_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING", ids
    )
    await conn.execute(
        "SELECT 1 FROM pupil_state WHERE pupil_id = ANY($1::uuid[]) ORDER BY pupil_id FOR UPDATE",
        ids,
    )


async def insert_events(
    conn: asyncpg.Connection, events: Sequence[tuple[RawEvent, PupilEventData]]
) -> None:
    """Record the events on their pupils' timelines in one statement (a held one is kept)."""
    await conn.execute(
        "INSERT INTO journey_events (event_id, pupil_id, type, occurred_at, recorded_at, source,"
        " data) SELECT e, p, t, o, r, s, d::jsonb FROM unnest($1::uuid[], $2::uuid[], $3::text[],"
        " $4::date[], $5::timestamptz[], $6::text[], $7::text[]) AS u (e, p, t, o, r, s, d)"
        " ON CONFLICT (event_id) DO NOTHING",
        *columns_of(
            (e.id, d.pupil_id, e.type, d.occurred_at, e.time, e.source, d.model_dump_json())
            for e, d in events
        ),
    )


def columns_of(rows: Iterable[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as columns, the bind parameters of an `unnest` insert (no row: no column)."""
    return [list(column) for column in zip(*rows, strict=True)]


async def pupil_events(conn: asyncpg.Connection, pupil_id: UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT event_id, type, occurred_at, recorded_at, source, data FROM journey_events"
        " WHERE pupil_id = $1 ORDER BY occurred_at, event_id",
        pupil_id,
    )
    return rows


async def events_of_pupils(
    conn: asyncpg.Connection, pupil_ids: Sequence[UUID]
) -> dict[UUID, list[TypedEvent]]:
    """Every event of each of the pupils in one query, in business-date then event-id order,
    re-validated into its model by its stored type (from the JSON text: no dict in between)."""
    rows = await conn.fetch(
        "SELECT pupil_id, event_id, type, data::text AS data FROM journey_events"
        " WHERE pupil_id = ANY($1::uuid[]) ORDER BY pupil_id, occurred_at, event_id",
        list(pupil_ids),
    )
    out: dict[UUID, list[TypedEvent]] = {}
    for r in rows:
        data = BY_TYPE[r["type"]].model.model_validate_json(r["data"])
        out.setdefault(r["pupil_id"], []).append(TypedEvent(r["event_id"], data))
    return out


def as_journey_events(rows: list[asyncpg.Record]) -> list[JourneyEvent]:
    return [JourneyEvent(r["event_id"], r["type"], r["occurred_at"], r["data"]) for r in rows]


async def save_states(conn: asyncpg.Connection, states: Mapping[UUID, PupilState]) -> None:
    """Save the pupils' recomputed states in one statement (their rows are locked). The id
    lists travel as JSON text: a list of lists would be read as one two-dimensional array."""
    await conn.execute(
        "UPDATE pupil_state AS s SET status = u.status, tier = u.tier,"
        " school_urns = ARRAY(SELECT jsonb_array_elements_text(u.schools::jsonb)),"
        " provider_ids = ARRAY(SELECT jsonb_array_elements_text(u.providers::jsonb)),"
        " updated_at = now()"
        " FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::text[], $5::text[])"
        " AS u (pupil_id, status, tier, schools, providers) WHERE s.pupil_id = u.pupil_id",
        *columns_of(
            (pupil_id, s.status, s.tier, json.dumps(s.school_urns), json.dumps(s.provider_ids))
            for pupil_id, s in states.items()
        ),
    )


# One pupil at a time, for callers that seed a read model row by row (tests of the read paths);
# the consumers write set-wise with the functions above.


async def lock_pupil(conn: asyncpg.Connection, pupil_id: UUID) -> None:
    await lock_pupils(conn, [pupil_id])


async def save_state(conn: asyncpg.Connection, pupil_id: UUID, state: PupilState) -> None:
    await save_states(conn, {pupil_id: state})


async def insert_event(
    conn: asyncpg.Connection,
    *,
    event_id: UUID,
    pupil_id: UUID,
    type_: str,
    occurred_at: date,
    recorded_at: datetime,
    source: str,
    data: dict[str, Any],
) -> None:
    """Record one event row as given (its data is not validated against its model)."""
    await conn.execute(
        "INSERT INTO journey_events (event_id, pupil_id, type, occurred_at, recorded_at, source,"
        " data) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
        event_id, pupil_id, type_, occurred_at, recorded_at, source, data,
    )  # fmt: skip


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
    rows: list[asyncpg.Record] = await conn.fetch(
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
    return rows


def _columns(fact_type: type[Any]) -> tuple[str, ...]:
    """A fact table's columns: its dataclass's fields, in order (migrations keep them in step)."""
    return tuple(f.name for f in fields(fact_type))


PLACEMENT_FACT_COLUMNS = _columns(PlacementFact)
OUTCOME_FACT_COLUMNS = _columns(OutcomeFact)


def _record(fact: Any, columns: Sequence[str]) -> tuple[Any, ...]:
    """A fact as a COPY record: placement and pupil ids held as text become uuids."""
    return tuple(
        UUID(value) if name in _UUID_TEXT and isinstance(value, str) else value
        for name, value in ((name, getattr(fact, name)) for name in columns)
    )


_UUID_TEXT = frozenset({"placement_id", "pupil_id"})


async def replace_placement_facts_of(
    conn: asyncpg.Connection, pupil_ids: Sequence[UUID], facts: Sequence[PlacementFact]
) -> None:
    """Replace the placement facts of these pupils by `facts` (theirs), set-wise (COPY)."""
    records = [_record(f, PLACEMENT_FACT_COLUMNS) for f in facts]
    await _replace_rows_of(conn, "placement_facts", pupil_ids, PLACEMENT_FACT_COLUMNS, records)


async def replace_outcome_facts_of(
    conn: asyncpg.Connection, pupil_ids: Sequence[UUID], facts: Sequence[OutcomeFact]
) -> None:
    """Replace the outcome facts of these pupils by `facts` (theirs), set-wise (COPY)."""
    records = [_record(f, OUTCOME_FACT_COLUMNS) for f in facts]
    await _replace_rows_of(conn, "outcome_facts", pupil_ids, OUTCOME_FACT_COLUMNS, records)


async def _replace_rows_of(
    conn: asyncpg.Connection,
    table: str,
    pupil_ids: Sequence[UUID],
    columns: Sequence[str],
    records: list[tuple[Any, ...]],
) -> None:
    """A fact table's rows of these pupils replaced by `records`: one DELETE, one COPY."""
    await conn.execute(
        f"DELETE FROM {table} WHERE pupil_id = ANY($1::uuid[])",  # noqa: S608 (a constant)
        list(pupil_ids),
    )
    await conn.copy_records_to_table(table, records=records, columns=list(columns))


async def replace_placement_facts(
    conn: asyncpg.Connection, pupil_id: UUID, facts: Sequence[PlacementFact]
) -> None:
    await replace_placement_facts_of(conn, [pupil_id], facts)


async def placement_facts_between(
    conn: asyncpg.Connection, start: date, end: date
) -> list[PlacementFact]:
    rows = await conn.fetch(
        f"SELECT {', '.join(PLACEMENT_FACT_COLUMNS)} FROM placement_facts"  # noqa: S608 (constants)
        " WHERE start_date <= $2 AND (end_date IS NULL OR end_date >= $1)",
        start, end,
    )  # fmt: skip
    return [
        PlacementFact(**{**dict(r), "placement_id": str(r["placement_id"]),
                         "pupil_id": str(r["pupil_id"])})
        for r in rows
    ]  # fmt: skip


OUTCOME_TYPES = types_of(
    PupilReintegratedV1, SustainmentCheckedV1, PlacementReviewedV1, DestinationConfirmedV1
)


async def outcome_events(conn: asyncpg.Connection, start: date, end: date) -> list[JourneyEvent]:
    """Outcome events in the period, every sustainment check and every destination from the
    period's start on (a later check or confirmation may follow the period)."""
    rows = await conn.fetch(
        "SELECT event_id, type, occurred_at, data FROM journey_events WHERE type = ANY($1)"
        " AND (type = $4 OR (type = $5 AND occurred_at >= $2) OR occurred_at BETWEEN $2 AND $3)",
        OUTCOME_TYPES, start, end, CHECKED, DESTINATION,
    )  # fmt: skip
    return as_journey_events(rows)


async def identities(conn: asyncpg.Connection, pupil_ids: list[UUID]) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT pupil_id, details FROM pupil_identity WHERE pupil_id = ANY($1)", pupil_ids
    )
    return {str(r["pupil_id"]): r["details"] for r in rows}


async def all_providers(conn: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch("SELECT provider_id, details FROM providers")
    return {str(r["provider_id"]): r["details"] for r in rows}


async def record_identity_reads(
    conn: asyncpg.Connection, *, reader: str, role: str, pupil_ids: list[UUID], purpose: str
) -> None:
    await conn.executemany(
        "INSERT INTO identity_reads (reader, role, pupil_id, purpose) VALUES ($1, $2, $3, $4)",
        [(reader, role, pupil_id, purpose) for pupil_id in pupil_ids],
    )
