"""Inbox: the record of events a consumer applied, kept in the same transaction as the effect."""

from collections.abc import Sequence
from uuid import UUID

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> bool:
    """Record the event as applied by `consumer`; False when it already was (a duplicate)."""
    return event_id in await claim_all(conn, consumer, [event_id])


async def claim_all(
    conn: asyncpg.Connection, consumer: str, event_ids: Sequence[UUID]
) -> set[UUID]:
    """Record the events as applied by `consumer` in one statement; the ids it had not applied
    before (an id given twice is claimed once)."""
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, event_id) SELECT $1, id FROM unnest($2::uuid[]) AS id"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        list(dict.fromkeys(event_ids)),
    )
    return {r["event_id"] for r in rows}
