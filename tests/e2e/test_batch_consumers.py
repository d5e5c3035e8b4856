"""Batch consumers: one transaction per batch, poison isolated, effects exactly once.

Each test produces real records on journey.referrals, reads them back from the broker, and hands
them as batches to a consumer built like reporting's journey consumer (its real set-wise
`apply_journey_batch`) on a fresh reporting database of its own, so every effect seen is its own
(the running reporting service applies the same records to its database meanwhile).
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
from ap_chassis.consumer import IdempotentConsumer
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_chassis.errors import PermanentEventError
from ap_chassis.metrics import Metrics
from ap_reporting import consumers, repository
from ap_reporting.app import MIGRATIONS
from ap_reporting.generations import READ_MODEL_MIGRATIONS
from ap_schemas import codec, topics

from tests.e2e.support.journeys import accepted, produce, referred
from tests.support.platform import RUN


@contextlib.asynccontextmanager
async def fresh_read_model(infra) -> AsyncIterator[asyncpg.Pool]:
    name = f"ap_batchtest_{RUN}_{uuid.uuid4().hex[:6]}"
    pool = await create_pool(await ensure_database(infra.database_url, name), max_size=2)
    try:
        await migrate(pool, [MIGRATIONS, READ_MODEL_MIGRATIONS])  # read models in public here
        yield pool
    finally:
        await pool.close()


def journey_consumer(services, pool, apply_batch) -> IdempotentConsumer:
    runtime = services.apps["reporting"].state.runtime
    return IdempotentConsumer(
        name=f"batch-test-{uuid.uuid4().hex[:8]}",
        pool=pool,
        broker=runtime.broker,
        apply=consumers.project_journey_event,
        apply_batch=apply_batch,
        metrics=Metrics(),
        max_attempts=3,
        backoff_seconds=0.01,
        service="reporting",
    )


async def records_of(topic_reader, key: str, offsets: list[int]):
    found = {r.offset: r for r in await topic_reader(topics.REFERRALS, key=key)}
    return [found[o] for o in offsets]


def applied(consumer: IdempotentConsumer, type_: str = "journey.pupil.referred.v1") -> float:
    value = consumer.metrics.registry.get_sample_value(
        "journey_events_applied_total", {"consumer": consumer.name, "type": type_}
    )
    return value or 0.0


async def timeline_ids(pool, pupil_id: uuid.UUID) -> list[uuid.UUID]:
    async with pool.acquire() as conn:
        return [r["event_id"] for r in await repository.pupil_events(conn, pupil_id)]


async def test_a_poison_event_in_the_middle_of_a_batch_is_parked_alone(
    services, infra, helpers, topic_reader, wait
):
    key = str(uuid.uuid4())
    pupils = [uuid.uuid4() for _ in range(6)]
    values = [referred(p, uuid.uuid4(), helpers.random_urn()) for p in pupils]
    poison_pupil = pupils[3]
    offsets = await produce(infra.kafka_bootstrap_servers, topics.REFERRALS, key, *values)
    batches: list[int] = []

    async def refuses_one(conn, events):
        batches.append(len(events))
        if any(data.pupil_id == poison_pupil for _, data in events):
            raise PermanentEventError("refused by the test's rule")
        await consumers.apply_journey_batch(conn, events)

    async with fresh_read_model(infra) as pool:
        consumer = journey_consumer(services, pool, refuses_one)
        await consumer.process_batch(await records_of(topic_reader, key, offsets))
        async with pool.acquire() as conn:
            states = {p: await repository.get_state(conn, p) for p in pupils}

    assert batches[0] == 6  # tried as one batch first, then bisected
    assert [p for p, state in states.items() if state is None] == [poison_pupil]
    assert all(s.status == "referred" for p, s in states.items() if p != poison_pupil)
    assert applied(consumer) == 5

    async def parked():
        found = []
        for record in await topic_reader(topics.DEADLETTER, key=key):
            headers = {k: v.decode() for k, v in record.headers}
            if headers["dlq_consumer"] == consumer.name:
                found.append(headers)
        return found or None

    (headers,) = await wait(parked)
    assert headers["dlq_original_offset"] == str(offsets[3])
    assert "refused by the test's rule" in headers["dlq_reason"]


async def test_duplicates_within_and_across_batches_are_applied_once(
    services, infra, helpers, topic_reader
):
    key = str(uuid.uuid4())
    a, b, c = (uuid.uuid4() for _ in range(3))
    ra = referred(a, uuid.uuid4(), helpers.random_urn())
    rb = referred(b, uuid.uuid4(), helpers.random_urn())
    rc = referred(c, uuid.uuid4(), helpers.random_urn())
    offsets = await produce(
        infra.kafka_bootstrap_servers, topics.REFERRALS, key, ra, rb, ra, rb, rc
    )
    handed: list[int] = []

    async def counting(conn, events):
        handed.append(len(events))
        await consumers.apply_journey_batch(conn, events)

    records = await records_of(topic_reader, key, offsets)
    async with fresh_read_model(infra) as pool:
        consumer = journey_consumer(services, pool, counting)
        await consumer.process_batch(records[:3])  # a, b, a again
        await consumer.process_batch(records[2:])  # a and b redelivered, c new
        await consumer.process_batch(records)  # all of it again
        timelines = [await timeline_ids(pool, pupil) for pupil in (a, b, c)]
        events = await pool.fetchval("SELECT count(*) FROM journey_events")

    assert handed == [2, 1]  # a batch of nothing new reaches no apply
    assert applied(consumer) == 3
    duplicates = consumer.metrics.registry.get_sample_value(
        "journey_events_duplicate_total", {"consumer": consumer.name}
    )
    assert duplicates == 1 + 2 + 5
    assert [len(t) for t in timelines] == [1, 1, 1] and events == 3


async def test_a_transient_database_failure_mid_batch_is_retried_without_double_effects(
    services, infra, helpers, topic_reader
):
    key = str(uuid.uuid4())
    pupil, referral = uuid.uuid4(), uuid.uuid4()
    others = [uuid.uuid4() for _ in range(3)]
    values = [
        referred(pupil, referral, helpers.random_urn()),
        *(referred(p, uuid.uuid4(), helpers.random_urn()) for p in others),
        accepted(pupil, referral),
    ]
    offsets = await produce(infra.kafka_bootstrap_servers, topics.REFERRALS, key, *values)
    attempts: list[int] = []

    async def connection_dies_once(conn, events):
        attempts.append(len(events))
        await consumers.apply_journey_batch(conn, events)
        if len(attempts) == 1:  # the effects are written, then the server drops the connection
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    async with fresh_read_model(infra) as pool:
        consumer = journey_consumer(services, pool, connection_dies_once)
        await consumer.process_batch(await records_of(topic_reader, key, offsets))
        claimed = await pool.fetchval("SELECT count(*) FROM inbox")
        events = await pool.fetchval("SELECT count(*) FROM journey_events")
        states = await pool.fetchval("SELECT count(*) FROM pupil_state")
        async with pool.acquire() as conn:
            state = await repository.get_state(conn, pupil)

    assert attempts == [5, 5]  # the whole batch again, in a new transaction
    assert applied(consumer) == 4
    assert applied(consumer, "journey.referral.decided.v1") == 1
    assert (claimed, events, states) == (5, 5, 4)
    assert state is not None and state.status == "accepted"


async def test_concurrent_batches_of_the_same_pupils_never_deadlock(infra, helpers):
    """The journey consumers of two topics touching the same pupils in opposite orders: each
    batch locks its pupils in sorted id order, so both commit (no deadlock to detect)."""
    pupils = [uuid.uuid4() for _ in range(1500)]
    referrals = {p: uuid.uuid4() for p in pupils}
    first = [codec.decode(referred(p, referrals[p], helpers.random_urn())) for p in pupils]
    second = [codec.decode(accepted(p, referrals[p])) for p in reversed(pupils)]
    async with fresh_read_model(infra) as pool:

        async def apply(events) -> None:
            async with pool.acquire() as conn, conn.transaction():
                await consumers.apply_journey_batch(conn, events)

        for _ in range(3):  # rounds of long lock statements that really overlap
            await asyncio.gather(apply(first), apply(second))
        async with pool.acquire() as conn:
            states = [await repository.get_state(conn, p) for p in pupils]
    assert all(s is not None and s.status == "accepted" for s in states)
