"""Lag against the broker's end offsets; a paused consumer shows as stuck and /readyz degraded."""

import uuid

from ap_schemas import topics

from tests.e2e.support.journeys import produce, referred
from tests.support.platform import RUN, build, running


async def test_a_paused_consumer_is_reported_stuck_and_the_service_degraded(infra, helpers, wait):
    app = build(
        "outcomes",
        infra,
        service_name="outcomes_health",  # its own consumer groups, beside the shared outcomes
        database_name=f"ap_outcomes_{RUN}_health",
        consumer_stuck_seconds=1.0,
        health_sample_seconds=0.2,
    )
    async with running(app) as client:
        runtime = app.state.runtime

        async def caught_up():
            r = await client.get("/readyz")
            return r.status_code == 200 and r.json()["status"] == "ready" and r.json()

        await wait(caught_up, timeout=60)
        (consumer,) = [c for c in runtime.consumers if c.name == "referrals"]
        kafka = consumer.subscribers[0].consumer

        async def assigned():
            return kafka.assignment()

        parts = await wait(assigned)
        kafka.pause(*parts)
        pupil_id = uuid.uuid4()
        await produce(
            infra.kafka_bootstrap_servers,
            topics.REFERRALS,
            str(pupil_id),
            referred(pupil_id, uuid.uuid4(), helpers.random_urn()),
        )

        async def degraded():
            r = await client.get("/readyz")
            body = r.json()
            return r.status_code == 200 and body["status"] == "degraded" and body

        body = await wait(degraded, timeout=30)
        assert any("stuck" in reason and topics.REFERRALS in reason for reason in body["reasons"])

        async def reported():
            metrics = (await client.get("/metrics")).text
            stuck = [
                float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines()
                if line.startswith('journey_consumer_stuck_partitions{consumer="referrals"}')
            ]
            lags = [
                float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines()
                if line.startswith('journey_consumer_lag{consumer="referrals"')
            ]
            return stuck and stuck[0] >= 1 and max(lags) > 0

        assert await wait(reported, timeout=20)

        kafka.resume(*parts)
        await wait(caught_up, timeout=30)
