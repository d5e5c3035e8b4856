"""The outbox relay on a real PostgreSQL: one relay per database, and no row skipped when a
lower id commits after a higher one (the reason rows are selected unsent, not by watermark)."""

import asyncio
import uuid

import pytest
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_chassis.outbox import OutboxRelay, OutboxRow

from tests.support.platform import RUN, eventually


@pytest.fixture
async def outbox_db(infra):
    dsn = await ensure_database(infra.database_url, f"ap_relay_{RUN}_{uuid.uuid4().hex[:6]}")
    pool = await create_pool(dsn)
    await migrate(pool, [])
    yield dsn, pool
    await pool.close()


class Collector:
    """Stands in for the broker at the relay's publish port; records what it was handed."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def publish(self, row: OutboxRow):
        self.keys.append(row.key)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def add(conn, key: str) -> None:
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, 't', $2, $3, $4)",
        uuid.uuid4(), key, b"{}", {},
    )  # fmt: skip
    await conn.execute("SELECT pg_notify('outbox', '')")


def relay(dsn, pool, collector) -> OutboxRelay:
    return OutboxRelay(
        pool=pool, dsn=dsn, publish=collector.publish, lock_name=dsn, poll_seconds=0.1
    )


async def test_a_row_that_commits_late_with_a_lower_id_is_still_published(outbox_db):
    dsn, pool = outbox_db
    collector = Collector()
    task = asyncio.create_task(relay(dsn, pool, collector).run())
    try:
        async with pool.acquire() as slow, pool.acquire() as fast:
            tx = slow.transaction()
            await tx.start()
            await add(slow, "late")  # takes the lower id, commits last
            async with fast.transaction():
                await add(fast, "early")
            await eventually(lambda: _has(collector, "early"))
            assert "late" not in collector.keys
            await tx.commit()
        await eventually(lambda: _has(collector, "late"))
        # Rows are marked sent after the broker's acknowledgement: wait for that, not for publish.
        unsent = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
        await eventually(lambda: _zero(pool, unsent))
        assert sorted(collector.keys) == ["early", "late"]
    finally:
        task.cancel()


async def test_only_one_relay_publishes_per_database(outbox_db):
    dsn, pool = outbox_db
    first, second = Collector(), Collector()
    tasks = [asyncio.create_task(relay(dsn, pool, c).run()) for c in (first, second)]
    try:
        async with pool.acquire() as conn:
            for i in range(20):
                await add(conn, f"k{i}")
        await eventually(lambda: _count(first, second, 20))
        await asyncio.sleep(0.3)
        assert sorted([len(first.keys), len(second.keys)]) == [0, 20]
        publisher = first if first.keys else second
        assert publisher.keys == [f"k{i}" for i in range(20)]  # in commit order
    finally:
        for task in tasks:
            task.cancel()


async def _has(collector: Collector, key: str) -> bool:
    return key in collector.keys


async def _count(a: Collector, b: Collector, n: int) -> bool:
    return len(a.keys) + len(b.keys) >= n


async def _zero(pool, query: str) -> bool:
    return await pool.fetchval(query) == 0


async def test_the_lock_gauge_follows_the_lock_through_a_lost_connection(outbox_db):
    """on_lock feeds journey_outbox_relay_lock_held: 1 once taken, 0 when its connection dies,
    1 again when the relay takes it back."""
    dsn, pool = outbox_db
    seen: list[bool] = []
    worker = OutboxRelay(
        pool=pool, dsn=dsn, publish=Collector().publish, lock_name=dsn, poll_seconds=0.1,
        handover_seconds=0.1, on_lock=seen.append,
    )  # fmt: skip
    task = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: _equal(seen, [True]))
        killed = await pool.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert killed == 1
        await eventually(lambda: _equal(seen, [True, False, True]), timeout=30)
        assert worker.holding
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert seen == [True, False, True, False]  # released on the way out too


async def _equal(seen: list[bool], expected: list[bool]) -> bool:
    return seen == expected
