"""Inbox: the record of events a consumer applied, kept in the same transaction as the effect."""

from uuid import UUID

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> bool:
    """Record the event as applied by `consumer`; False when it already was (a duplicate)."""
    status = await conn.execute(
        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        consumer,
        event_id,
    )
    return str(status).endswith(" 1")
