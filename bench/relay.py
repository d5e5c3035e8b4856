"""The outbox relay on a backlog, beside the raw aiokafka producer sending the same rows."""

import asyncio
import secrets
import time
import uuid
from typing import Any

from ap_chassis.kafka import create_topics
from common import Figure, report
from journeys import generate
from replay import publish

BACKLOG = 5000


async def raw_producer_rate(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> float:
    """aiokafka alone: send every record, await the acknowledgements together."""
    started = time.perf_counter()
    await publish(bootstrap, records)
    return len(records) / (time.perf_counter() - started)


async def relay_rate(app: Any, records: list[tuple[str, bytes, bytes]]) -> float:
    """The service's own relay: a backlog committed in one go, timed until every row is sent."""
    pool = app.state.runtime.pool
    while await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
        await asyncio.sleep(0.05)  # start from an empty backlog

    def headers() -> dict[str, str]:  # as a request leaves them: its own trace context
        trace = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        return {"content-type": "application/cloudevents+json", "traceparent": trace}

    rows = [(uuid.uuid4(), t, k.decode(), v, headers()) for t, k, v in records]
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5)",
            rows,
        )
        await conn.execute("SELECT pg_notify('outbox', '')")
    started = time.perf_counter()
    while await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
        await asyncio.sleep(0.005)
    return len(rows) / (time.perf_counter() - started)


TOPIC = "bench.relay"  # real referral events, on a topic no service reads


async def run(app: Any, bootstrap: str, rounds: int = 3) -> None:
    await create_topics(bootstrap, [TOPIC])
    records = [(TOPIC, k, v) for t, k, v in generate(BACKLOG + 100) if t == "journey.referrals"]
    records = (records * 3)[:BACKLOG]
    raw = max([await raw_producer_rate(bootstrap, records) for _ in range(rounds)])
    relay = max([await relay_rate(app, records) for _ in range(rounds)])
    report(Figure("aiokafka producer alone (same rows; the upper bound)", raw, "events/s"))
    report(Figure(f"relay on a backlog of {BACKLOG:,} rows (best of {rounds})", relay, "events/s",
                  10_000, note=f"{relay / raw:.0%} of the raw producer"))  # fmt: skip
