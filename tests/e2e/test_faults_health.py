"""Lag against the broker's end offsets; a paused consumer shows as stuck and /readyz degraded;
after a rebalance each replica reports the lag of its own partitions only."""

import contextlib
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
            gauges = {
                name: float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines()
                for name in ("journey_ready", "journey_degraded_reasons")
                if line.startswith(name + " ")
            }
            ready_but_degraded = (
                gauges["journey_ready"] == 1 and gauges["journey_degraded_reasons"] >= 1
            )
            return stuck and stuck[0] >= 1 and max(lags) > 0 and ready_but_degraded

        assert await wait(reported, timeout=20)

        kafka.resume(*parts)
        await wait(caught_up, timeout=30)


def lag_partitions(metrics: str, consumer: str, topic: str) -> set[int]:
    prefix = f'journey_consumer_lag{{consumer="{consumer}",partition="'
    return {
        int(line[len(prefix) :].split('"', 1)[0])
        for line in metrics.splitlines()
        if line.startswith(prefix) and f'topic="{topic}"' in line
    }


async def test_after_a_rebalance_a_replica_stops_reporting_the_lag_it_gave_away(infra, wait):
    """Two replicas of one service (one consumer group): the partitions each reports lag for are
    its own, never the ones it held before the second joined (summed, those would double)."""
    apps = [
        build(
            "outcomes",
            infra,
            service_name="outcomes_rebalance",
            database_name=f"ap_outcomes_{RUN}_rebalance_{i}",
            health_sample_seconds=0.2,
        )
        for i in range(2)
    ]

    def kafka_of(app):
        (consumer,) = [c for c in app.state.runtime.consumers if c.name == "referrals"]
        return consumer.subscribers[0].consumer

    async with running(apps[0]) as first:

        async def reports_all():
            metrics = (await first.get("/metrics")).text
            return lag_partitions(metrics, "referrals", topics.REFERRALS) == {0, 1, 2}

        await wait(reports_all, timeout=60)
        async with running(apps[1]) as second:

            async def shared():
                a, b = ({tp.partition for tp in kafka_of(app).assignment()} for app in apps)
                return a and b and a | b == {0, 1, 2} and not a & b and (a, b)

            own = await wait(shared, timeout=60)

            reported: tuple[set[int], ...] = ()

            async def each_reports_its_own():
                nonlocal reported
                metrics = [(await c.get("/metrics")).text for c in (first, second)]
                reported = tuple(lag_partitions(m, "referrals", topics.REFERRALS) for m in metrics)
                return reported == own

            with contextlib.suppress(AssertionError):
                await wait(each_reports_its_own, timeout=30)
            assert reported == own, f"lag reported for partitions {reported}, assigned {own}"
