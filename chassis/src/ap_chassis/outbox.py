"""Transactional outbox: write events with the state change; a relay publishes them in order.

The relay selects *unsent* rows in id order rather than "rows after the last id seen": a bigserial
id is taken before commit, so a watermark skips a row that commits late
(docs/architecture.md#outbox-and-relay).
One pupil's events commit in order because every use case locks the pupil's row first.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from ap_schemas.codec import encode
from ap_schemas.envelope import CONTENT_TYPE, CloudEvent
from ap_schemas.events import BY_TYPE, EventData
from opentelemetry.propagate import inject

from .db import _init_connection

log = logging.getLogger(__name__)
CHANNEL = "outbox"


async def append(conn: asyncpg.Connection, *events: CloudEvent[EventData]) -> list[str]:
    """Add events to the outbox inside the caller's transaction and wake the relay at commit,
    in one statement; return their ids. Rows take ids in the order given."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [])
    for event in events:
        headers = {"ce_type": event.type, "content-type": CONTENT_TYPE}
        inject(headers)  # the request's W3C trace context, so the relay publishes under it
        row = (event.id, BY_TYPE[event.type].topic, event.subject, encode(event), headers)
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    await conn.execute(
        "WITH written AS (INSERT INTO outbox (event_id, topic, key, value, headers)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::jsonb[]))"
        " SELECT pg_notify($6, '')",
        *columns,
        CHANNEL,
    )
    return [str(event.id) for event in events]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    key: str
    value: bytes | None
    headers: dict[str, str]


Publish = Callable[[OutboxRow], Awaitable[Awaitable[object]]]
"""Hand a row to the producer; the returned awaitable resolves when the broker acknowledged it.
The publish continues the trace in the row's headers (kafka.relay_publisher)."""

EndOffsets = Callable[[Sequence[str]], Awaitable[dict[str, int]]]
"""The number of records each topic holds on the broker (sum of its partitions' end offsets)."""


class LockLostError(Exception):
    """The connection holding the relay's advisory lock is gone: another replica may take over."""


class OutboxRelay:
    """Publishes unsent outbox rows in commit order. One relay per service holds the lock.

    The lock is a session advisory lock on a dedicated connection. Every cycle reads its batch on
    that connection, which proves it alive, so a relay whose lock connection died stops before its
    next batch; a relay that takes the lock waits `handover_seconds` first, so that a batch its
    predecessor had in flight is marked sent before it looks for unsent rows.

    The outbox is the service's durable log: rows stay after they are sent (deleted only past
    `retention_days`, 0 = keep). When the broker holds fewer records on a topic than this service
    has sent to it (a broker restarted empty, a topic past its retention), the topic's rows are
    marked unsent and so published again in their original order with their original event ids;
    consumers skip what they already applied. Checked when the lock is taken, after any error,
    as soon as a partition's acknowledged offsets go backwards, and every `check_seconds`.
    """

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        dsn: str,
        publish: Publish,
        lock_name: str,
        poll_seconds: float = 2.0,
        batch_size: int = 500,
        handover_seconds: float = 1.0,
        end_offsets: EndOffsets | None = None,
        check_seconds: float = 60.0,
        retention_days: int = 0,
        on_backlog: Callable[[int], None] = lambda n: None,
        on_published: Callable[[int], None] = lambda n: None,
        on_lock: Callable[[bool], None] = lambda held: None,
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._publish = publish
        self._lock_name = lock_name
        self._poll = poll_seconds
        self._batch = batch_size
        self._handover = handover_seconds
        self._end_offsets = end_offsets
        self._check_seconds = check_seconds
        self._retention_days = retention_days
        self._on_backlog = on_backlog
        self._on_published = on_published
        self._on_lock = on_lock
        self._wake = asyncio.Event()
        self.holding = False
        self._last_offsets: dict[tuple[str, int], int] = {}
        self._check_due = True

    async def run(self) -> None:
        """Run until cancelled: take the lock, then drain on every NOTIFY or poll tick."""
        backoff = 0.2
        while True:
            try:
                conn = await asyncpg.connect(self._dsn)
                try:
                    await _init_connection(conn)  # the pool's codecs: headers are jsonb
                    conn.add_termination_listener(lambda _: self._wake.set())
                    await self._hold_lock(conn)
                    await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
                    await asyncio.sleep(self._handover)
                    backoff = 0.2
                    await self._serve(conn)
                finally:
                    self._release(conn)
                    await conn.close(timeout=2)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: keep the rows, try again later
                log.warning("outbox relay paused: %s", type(exc).__name__, exc_info=exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _serve(self, conn: asyncpg.Connection) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time()  # on taking the lock
        self._last_offsets.clear()
        while True:
            self._wake.clear()
            if self._check_due or loop.time() >= next_check:
                self._check_due = False  # maintain() sets it again if the broker did not answer
                await self.maintain()
                next_check = loop.time() + self._check_seconds
            if await self.drain_once(conn) == self._batch:
                continue  # more waiting: do not sleep
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll)
            except TimeoutError:
                pass

    async def _hold_lock(self, conn: asyncpg.Connection) -> None:
        while not await conn.fetchval(
            "SELECT pg_try_advisory_lock(hashtext($1))", f"outbox-relay:{self._lock_name}"
        ):
            await asyncio.sleep(self._poll)  # another process relays; stand by
        self.holding = True
        self._on_lock(True)
        log.info("outbox relay took the lock", extra={"lock": self._lock_name})

    async def _unsent(self, conn: asyncpg.Connection | None) -> list[asyncpg.Record]:
        """The next batch, read on the lock connection when given: the session lock lives
        exactly as long as that connection, so reading on it proves the lock still held."""
        query = (
            "SELECT id, topic, key, value, headers FROM outbox"
            " WHERE sent_at IS NULL ORDER BY id LIMIT $1"
        )
        if conn is None:
            return list(await self._pool.fetch(query, self._batch))
        try:
            if conn.is_closed():
                raise LockLostError("lock connection closed")
            return list(await conn.fetch(query, self._batch, timeout=5))
        except LockLostError:
            raise
        except Exception as exc:
            raise LockLostError(f"lock connection failed: {type(exc).__name__}") from exc

    def _release(self, conn: asyncpg.Connection) -> None:
        if self.holding:
            self.holding = False
            self._on_lock(False)
            log.warning(
                "outbox relay lost or released the lock; publishing stopped",
                extra={"lock": self._lock_name, "connection_closed": conn.is_closed()},
            )

    async def maintain(self) -> dict[str, int]:
        """Republish topics the broker lost; apply the retention policy. Return what was reset."""
        lost: dict[str, int] = {}
        if self._end_offsets is not None:
            try:
                lost = await republish_lost(self._pool, self._end_offsets)
            except Exception as exc:  # the broker away: the next cycle tries again
                log.warning("outbox check against the broker failed: %s", type(exc).__name__)
                self._check_due = True
        if self._retention_days > 0:
            await self._pool.execute(
                "DELETE FROM outbox WHERE sent_at < now() - make_interval(days => $1)",
                self._retention_days,
            )
        return lost

    async def drain_once(self, conn: asyncpg.Connection | None = None) -> int:
        """Publish one batch of unsent rows in id order; mark what the broker acknowledged.
        With the lock connection `conn`, the batch is read on it (see `_unsent`)."""
        records = await self._unsent(conn)
        self._on_backlog(len(records))
        if not records:
            return 0
        rows = [OutboxRow(r["id"], r["topic"], r["key"], r["value"], r["headers"]) for r in records]
        acks = [await self._publish(row) for row in rows]  # enqueue in order: per-key order holds
        results = await asyncio.gather(*acks, return_exceptions=True)  # acknowledged together
        sent: list[int] = []
        failure: BaseException | None = None
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failure = result  # keep it and what follows unsent: republished in order
                break
            self._watch_offset(result)
            sent.append(row.id)
        await self._mark_sent(sent)
        self._on_published(len(sent))
        if failure is not None:
            raise failure
        return len(rows)

    def _watch_offset(self, meta: object) -> None:
        """A partition's offset going backwards means a broker that lost its log: check at once."""
        topic, partition = getattr(meta, "topic", None), getattr(meta, "partition", None)
        offset = getattr(meta, "offset", None)
        if not (isinstance(topic, str) and isinstance(partition, int) and isinstance(offset, int)):
            return
        last = self._last_offsets.get((topic, partition))
        if last is not None and offset <= last:
            log.warning(
                "offsets went backwards: the broker lost its log",
                extra={"topic": topic, "partition": partition, "offset": offset, "last": last},
            )
            self._check_due = True
            self._last_offsets.clear()  # the old broker's offsets mean nothing any more
        self._last_offsets[(topic, partition)] = offset

    async def _mark_sent(self, ids: Sequence[int]) -> None:
        """On the pool, never on the lock connection: a batch the broker acknowledged is marked
        sent even when the lock connection died meanwhile, or the next holder publishes it again."""
        if ids:
            await self._pool.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", list(ids)
            )


async def republish_lost(
    pool: asyncpg.Pool, end_offsets: EndOffsets, *, everything: bool = False
) -> dict[str, int]:
    """Mark unsent every row of each topic the broker holds fewer records of than were sent.

    Returns {topic: rows marked}. `everything` marks all sent rows whatever the broker holds.
    """
    counts = {
        r["topic"]: r["n"]
        for r in await pool.fetch(
            "SELECT topic, count(*) AS n FROM outbox WHERE sent_at IS NOT NULL GROUP BY topic"
        )
    }
    if not counts:
        return {}
    held = {} if everything else await end_offsets(sorted(counts))
    marked: dict[str, int] = {}
    for topic, sent in counts.items():
        if everything or held.get(topic, 0) < sent:
            log.warning(
                "the broker lost events of this service: republishing from the outbox",
                extra={"topic": topic, "sent": sent, "on_broker": held.get(topic)},
            )
            status = await pool.execute(
                "UPDATE outbox SET sent_at = NULL WHERE topic = $1 AND sent_at IS NOT NULL", topic
            )
            marked[topic] = int(status.split()[-1])
    if marked:
        await pool.execute("SELECT pg_notify($1, '')", CHANNEL)
    return marked
