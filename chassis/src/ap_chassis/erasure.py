"""Erasure machinery every service shares: tombstones out (outbox) and in (consumers).

A tombstone is a record with a key and a NULL value on a compacted topic: the key's erasure.
The publisher writes it through the outbox like any event, so it is published in commit order
after the identity events it supersedes. A consumer that holds a copy of the key's data registers
an `OnTombstone` hook (`ConsumerSpec(on_tombstone=...)`): the hook deletes the copy inside one
transaction. It must be idempotent (a redelivered tombstone deletes nothing more); a tombstone is
an erasure, never a dead letter.
"""

import logging
from collections.abc import Awaitable, Callable, Iterable
from uuid import UUID, uuid4

import asyncpg
from aiokafka import ConsumerRecord
from opentelemetry.propagate import inject

from .outbox import CHANNEL

log = logging.getLogger(__name__)

OnTombstone = Callable[[asyncpg.Connection, str], Awaitable[None]]
"""Delete what this service holds for the tombstone's key, inside the open transaction."""


async def append_tombstone(conn: asyncpg.Connection, topic: str, key: str) -> str:
    """Add a tombstone for `key` on `topic` to the outbox inside the caller's transaction."""
    event_id = uuid4()
    headers: dict[str, str] = {}
    inject(headers)  # the request's trace context, as for events
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, $2, $3, NULL, $4)",
        event_id,
        topic,
        key,
        headers,
    )
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return str(event_id)


async def null_outbox_values(conn: asyncpg.Connection, topic: str, key: str) -> int:
    """Null the values of every outbox row of `key` on `topic` (the outbox is the durable log:
    a republish then sends tombstones, never the erased details). Returns rows changed."""
    status = await conn.execute(
        "UPDATE outbox SET value = NULL WHERE topic = $1 AND key = $2 AND value IS NOT NULL",
        topic,
        key,
    )
    return int(str(status).rsplit(" ", 1)[-1])


def _like(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def forget_answers(conn: asyncpg.Connection, needles: Iterable[str]) -> int:
    """Delete stored idempotency answers that mention any of `needles` (a pupil's id or
    identifying values). An answer still being written (response NULL) is left alone, so the
    command doing the erasure keeps its own answer. Returns rows deleted."""
    patterns = sorted({_like(n) for n in needles if n})
    if not patterns:
        return 0
    status = await conn.execute(
        "DELETE FROM idempotency_keys WHERE response IS NOT NULL"
        " AND response::text LIKE ANY ($1::text[])",
        patterns,
    )
    return int(str(status).rsplit(" ", 1)[-1])


def pupil_key(key: str) -> UUID | None:
    """The tombstone's key as a pupil id; None for a key that is not one (nothing is held)."""
    try:
        return UUID(key)
    except ValueError:
        return None


async def apply_tombstone(pool: asyncpg.Pool, hook: OnTombstone, record: ConsumerRecord) -> None:
    """Run `hook` for the tombstone's key in one transaction. Errors propagate (redelivery)."""
    key = record.key.decode(errors="replace") if record.key else ""
    async with pool.acquire() as conn, conn.transaction():
        await hook(conn, key)
    log.info(
        "tombstone applied",
        extra={"topic": record.topic, "partition": record.partition, "offset": record.offset},
    )
