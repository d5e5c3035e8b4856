"""Rebuild benchmark: reporting's read models rebuilt from offset 0 on a backlog, events/s printed.

`make bench-rebuild [EVENTS=6000]` (also run by `make bench`). Publishes generated referrals and
decisions straight onto journey.referrals, lets the live consumers project them (printing their
catch-up rate), then rebuilds into a new generation and prints the rebuild's rate. Measured here,
never asserted.
"""

import asyncio
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer
from ap_chassis.infra import provision
from ap_chassis.kafka import create_topics
from ap_schemas import topics

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.support.journeys import accepted, referred

RUN = secrets.token_hex(3)


async def publish(bootstrap: str, pupils: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = []
        for _ in range(pupils):
            pupil, referral = uuid.uuid4(), uuid.uuid4()
            for value in (referred(pupil, referral, "100000"), accepted(pupil, referral)):
                sent.append(await producer.send(topics.REFERRALS, value, key=str(pupil).encode()))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def main(events: int) -> None:
    import ap_reporting.app as reporting
    from ap_reporting import rebuild

    infra = provision(Path(tempfile.mkdtemp(prefix="ap-bench-rebuild-")))
    print(f"infrastructure: {infra.origin}")
    try:
        await create_topics(infra.kafka_bootstrap_servers)
        await publish(infra.kafka_bootstrap_servers, events // 2)
        settings = reporting.Settings(
            JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET="bench-secret-" + "x" * 32,
            database_url=infra.database_url, database_name=f"ap_reporting_rebuild_{RUN}",
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers, log_level="WARNING",
        )  # fmt: skip
        app = reporting.create_app(settings)
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            started = time.perf_counter()
            while await runtime.pool.fetchval("SELECT count(*) FROM inbox") < events:
                await asyncio.sleep(0.05)
            live = events / (time.perf_counter() - started)
            print(f"live consumers catching up: {live:.0f} events/s on a backlog of {events}")
            job = await rebuild.start(runtime, app.state.rebuild_gauges, "bench")
            started = time.perf_counter()
            await job.run()
            elapsed = time.perf_counter() - started
            print(
                f"rebuild into {job.schema}: {job.progress.applied} events applied,"
                f" {job.progress.rate:.0f} events/s while replaying,"
                f" {job.progress.applied / elapsed:.0f} events/s end to end (schema, switch, drop"
                f" included; {elapsed:.1f} s)"
            )
    finally:
        infra.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 6000))
