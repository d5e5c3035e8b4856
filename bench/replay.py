"""Catching up from offset 0: reporting's real consumer beside two baselines built here, all
reading the same events from the same topics.

- raw: aiokafka `getmany` + asyncpg `COPY` of the records into one table (the upper bound);
- naive: a FastStream subscriber applying one event per transaction (inbox row + event row).
"""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from ap_chassis.db import create_pool, ensure_database
from ap_chassis.kafka import topic_end_offsets
from ap_schemas import topics
from common import RUN
from faststream.kafka import KafkaBroker, KafkaMessage

JOURNEY_TOPICS = (topics.REFERRALS, topics.PROVIDERS, topics.PLACEMENTS, topics.OUTCOMES)


async def publish(bootstrap: str, records: Iterable[tuple[str, bytes, bytes]]) -> int:
    """Send records as the services' relays would (same keys, acks from all), in chunks."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5,
        max_batch_size=512 * 1024,
    )  # fmt: skip
    await producer.start()
    sent = 0
    try:
        chunk: list[asyncio.Future[Any]] = []
        for topic, key, value in records:
            chunk.append(await producer.send(topic, value, key=key))
            if len(chunk) >= 5000:
                await asyncio.gather(*chunk)
                sent, chunk = sent + len(chunk), []
        await asyncio.gather(*chunk)
        return sent + len(chunk)
    finally:
        await producer.stop()


async def held(bootstrap: str) -> int:
    """Records on the journey topics now (true end offsets: Tansu's are short of the last batch)."""

    def make() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=50)

    return sum((await topic_end_offsets(make, JOURNEY_TOPICS)).values())


async def raw_rate(bootstrap: str, database_url: str, total: int) -> float:
    """getmany from offset 0 and COPY each batch: the broker and database's own speed."""
    dsn = await ensure_database(database_url, f"ap_rawreplay_{RUN}")
    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS raw_events"
        " (topic text, part int, offs bigint, key bytea, value bytea)"
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    try:
        consumer.subscribe(list(JOURNEY_TOPICS))
        started, done = time.perf_counter(), 0
        while done < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=2000)
            rows = [(tp.topic, tp.partition, r.offset, r.key, r.value)
                    for tp, records in batch.items() for r in records]  # fmt: skip
            if rows:
                await conn.copy_records_to_table("raw_events", records=rows)
                done += len(rows)
        return done / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await conn.close()


async def naive_rate(
    bootstrap: str, database_url: str, total: int, cap: float
) -> tuple[float, int]:
    """A FastStream handler applying one event per transaction, timed until all are applied."""
    dsn = await ensure_database(database_url, f"ap_naivereplay_{RUN}")
    pool = await create_pool(dsn, max_size=4)
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS inbox (event_id uuid PRIMARY KEY);"
        " CREATE TABLE IF NOT EXISTS events (event_id uuid PRIMARY KEY, subject text,"
        " type text, data jsonb)"
    )
    broker = KafkaBroker(bootstrap, logger=None)

    async def apply(msg: KafkaMessage) -> None:
        event = json.loads(msg.body)
        async with pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(
                "INSERT INTO inbox VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1",
                uuid.UUID(event["id"]),
            ):
                await conn.execute(
                    "INSERT INTO events VALUES ($1, $2, $3, $4)",
                    uuid.UUID(event["id"]), event["subject"], event["type"], event["data"],
                )  # fmt: skip

    for topic in JOURNEY_TOPICS:
        broker.subscriber(
            topic, group_id=f"naive-{RUN}-{topic}", auto_offset_reset="earliest",
            fetch_max_wait_ms=50, session_timeout_ms=2000, heartbeat_interval_ms=500,
        )(apply)  # fmt: skip
    await broker.start()
    try:
        done, rate = await until(lambda: pool.fetchval("SELECT count(*) FROM inbox"), total, cap)
        return rate, done
    finally:
        await broker.stop()
        await pool.close()


async def until(
    count: Callable[[], Awaitable[int]], total: int, cap: float, stall: float = 15.0
) -> tuple[int, float]:
    """Poll `count` until it reaches `total`, `cap` seconds pass or it stalls for `stall`
    seconds (dead letters apply nothing). Return the count and the rate from the first event
    applied to the last (joining a group is not catching up)."""
    deadline = time.perf_counter() + cap
    done, first, last, base = 0, 0.0, 0.0, 0
    while done < total and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
        now, seen = time.perf_counter(), await count()
        if seen and not first:
            first, base = now, seen
        if seen != done:
            done, last = seen, now
        elif first and now - last > stall:
            break
    return done, (done - base) / (last - first) if last > first else 0.0
