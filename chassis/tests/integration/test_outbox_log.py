"""The outbox as the durable log: sent rows are kept unless a retention period is set."""

import uuid

import pytest
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_chassis.outbox import OutboxRelay

from tests.support.platform import RUN


@pytest.fixture
async def pool(infra):
    dsn = await ensure_database(infra.database_url, f"ap_log_{RUN}_{uuid.uuid4().hex[:6]}")
    pool = await create_pool(dsn)
    await migrate(pool, [])
    yield pool
    await pool.close()


async def sent_row(pool, days_ago: int) -> None:
    await pool.execute(
        "INSERT INTO outbox (event_id, topic, key, value, headers, sent_at)"
        " VALUES ($1, 't', 'k', '{}', '{}', now() - make_interval(days => $2))",
        uuid.uuid4(),
        days_ago,
    )


def relay(pool, retention_days: int) -> OutboxRelay:
    async def publish(row):  # never called: maintain() publishes nothing
        raise AssertionError(row)

    return OutboxRelay(
        pool=pool, dsn="", publish=publish, lock_name="log", retention_days=retention_days
    )


async def test_sent_rows_are_kept_by_default(pool):
    await sent_row(pool, 400)
    await relay(pool, 0).maintain()
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1


async def test_a_retention_period_deletes_only_rows_sent_before_it(pool):
    await sent_row(pool, 40)
    await sent_row(pool, 1)
    await pool.execute(
        "INSERT INTO outbox (event_id, topic, key, value, headers)"
        " VALUES ($1, 't', 'k', '{}', '{}')",
        uuid.uuid4(),
    )
    await relay(pool, 30).maintain()
    left = await pool.fetch("SELECT sent_at IS NULL AS unsent FROM outbox ORDER BY id")
    assert [r["unsent"] for r in left] == [False, True]
