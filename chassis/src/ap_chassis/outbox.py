"""Transactional outbox: write events with the state change; a relay publishes them in order.

The relay selects *unsent* rows in id order rather than "rows after the last id seen": a bigserial
id is taken before commit, so a watermark skips a row that commits late (architecture.md 10).
One pupil's events commit in order because every use case locks the pupil's row first.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg
from ap_schemas.codec import encode
from ap_schemas.envelope import CONTENT_TYPE, CloudEvent
from ap_schemas.events import BY_TYPE, EventData
from opentelemetry import context as otel_context
from opentelemetry.propagate import extract, inject

log = logging.getLogger(__name__)
CHANNEL = "outbox"


async def append(conn: asyncpg.Connection, *events: CloudEvent[EventData]) -> list[str]:
    """Add events to the outbox inside the caller's transaction; return their ids."""
    rows = []
    for event in events:
        headers = {"ce_type": event.type, "content-type": CONTENT_TYPE}
        inject(headers)  # the request's W3C trace context, so the relay publishes under it
        rows.append((event.id, BY_TYPE[event.type].topic, event.subject, encode(event), headers))
    await conn.executemany(
        "INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5)",
        rows,
    )
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return [str(event.id) for event in events]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    key: str
    value: bytes | None
    headers: dict[str, str]


Publish = Callable[[OutboxRow], Awaitable[Awaitable[object]]]
"""Hand a row to the producer; the returned awaitable resolves when the broker acknowledged it."""


class OutboxRelay:
    """Publishes unsent outbox rows in commit order. One relay per service holds the lock."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        dsn: str,
        publish: Publish,
        lock_name: str,
        poll_seconds: float = 2.0,
        batch_size: int = 500,
        on_backlog: Callable[[int], None] = lambda n: None,
        on_published: Callable[[int], None] = lambda n: None,
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._publish = publish
        self._lock_name = lock_name
        self._poll = poll_seconds
        self._batch = batch_size
        self._on_backlog = on_backlog
        self._on_published = on_published
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Run until cancelled: take the lock, then drain on every NOTIFY or poll tick."""
        backoff = 0.2
        while True:
            try:
                conn = await asyncpg.connect(self._dsn)
                try:
                    await self._hold_lock(conn)
                    await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
                    backoff = 0.2
                    while True:
                        self._wake.clear()
                        if await self.drain_once() == self._batch:
                            continue  # more waiting: do not sleep
                        try:
                            await asyncio.wait_for(self._wake.wait(), self._poll)
                        except TimeoutError:
                            pass
                finally:
                    await conn.close(timeout=2)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: keep the rows, try again later
                log.warning("outbox relay paused: %s", type(exc).__name__, exc_info=exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _hold_lock(self, conn: asyncpg.Connection) -> None:
        while not await conn.fetchval(
            "SELECT pg_try_advisory_lock(hashtext($1))", f"outbox-relay:{self._lock_name}"
        ):
            await asyncio.sleep(self._poll)  # another process relays; stand by

    async def drain_once(self) -> int:
        """Publish one batch of unsent rows in id order; mark what the broker acknowledged."""
        records = await self._pool.fetch(
            "SELECT id, topic, key, value, headers FROM outbox"
            " WHERE sent_at IS NULL ORDER BY id LIMIT $1",
            self._batch,
        )
        self._on_backlog(len(records))
        if not records:
            return 0
        rows = [OutboxRow(r["id"], r["topic"], r["key"], r["value"], r["headers"]) for r in records]
        acks = [await self._publish_in_context(row) for row in rows]  # enqueue in order
        sent: list[int] = []
        try:
            for row, ack in zip(rows, acks, strict=True):
                await ack
                sent.append(row.id)
        finally:
            await self._mark_sent(sent)
        self._on_published(len(sent))
        return len(rows)

    async def _publish_in_context(self, row: OutboxRow) -> Awaitable[object]:
        token = otel_context.attach(extract(row.headers))
        try:
            return await self._publish(row)
        finally:
            otel_context.detach(token)

    async def _mark_sent(self, ids: Sequence[int]) -> None:
        if ids:
            await self._pool.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", list(ids)
            )
