"""The outbox is the durable log: a broker that lost everything gets the whole history back."""

import contextlib
import json
import uuid

import asyncpg
from ap_chassis.db import database_dsn
from ap_chassis.infra import free_port, start_tansu
from ap_chassis.kafka import create_topics
from ap_chassis.republish import republish
from ap_schemas import topics

from tests.support.platform import RUN, build, read_topic, running


async def test_a_fresh_service_on_an_empty_broker_republishes_the_whole_history_in_order(
    infra, helpers, wait
):
    name = f"ap_referral_{RUN}_history_{uuid.uuid4().hex[:4]}"
    dsn = database_dsn(infra.database_url, name)
    app = build("referral", infra, database_name=name)
    async with running(app) as client:
        for _ in range(6):
            r = await client.post(
                "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
            )
            assert r.status_code == 201
        pool = app.state.runtime.pool
        await wait(lambda: pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))

    bootstrap, broker = start_tansu()  # a new broker: it holds nothing
    try:
        await create_topics(bootstrap)
        fresh = build("referral", infra, database_name=name, kafka_bootstrap_servers=bootstrap)
        async with running(fresh):
            conn = await asyncpg.connect(dsn)
            try:
                rows = await conn.fetch("SELECT event_id, topic, key FROM outbox ORDER BY id")
            finally:
                await conn.close()
            assert len(rows) == 12

            async def history():
                got = {}
                for topic in (topics.REFERRALS, topics.IDENTITY):
                    got[topic] = await read_topic(bootstrap, topic)
                return got if sum(map(len, got.values())) >= len(rows) else None

            got = await wait(history, timeout=40)
            on_broker = [
                (json.loads(r.value)["id"], topic, r.key.decode())
                for topic, records in got.items()
                for r in records
            ]
            assert sorted(on_broker) == sorted((str(r[0]), r[1], r[2]) for r in rows)
            for topic, records in got.items():  # original order within each partition
                wanted = [str(r["event_id"]) for r in rows if r["topic"] == topic]
                for partition in {r.partition for r in records}:
                    ids = [json.loads(r.value)["id"] for r in records if r.partition == partition]
                    assert ids == [i for i in wanted if i in ids]
            # Nothing lost any more: the by-hand lever finds nothing to do.
            again = await republish(
                infra.database_url, bootstrap, ["referral"], database_names={"referral": name}
            )
            assert again == {"referral": {}}
    finally:
        with contextlib.suppress(Exception):
            broker.terminate()
            broker.wait(5)


async def test_a_broker_replaced_empty_under_a_running_service_gets_the_history_back(
    infra, helpers, tcp_proxy, wait
):
    """Noticed by acknowledged offsets going backwards or, for partitions it does not write to
    now, by the scheduled check (3 s here): no restart, no hand."""
    broker_port, proxy_port = free_port(), free_port()
    proxy = tcp_proxy(broker_port, proxy_port)
    await proxy.start()
    bootstrap, first = start_tansu(broker_port, advertised_port=proxy_port)
    second = None
    try:
        await create_topics(bootstrap)
        app = build(
            "referral",
            infra,
            kafka_bootstrap_servers=bootstrap,
            database_name=f"ap_referral_{RUN}_replaced_{uuid.uuid4().hex[:4]}",
            kafka_request_timeout_ms=2000,
            outbox_check_seconds=3,
        )
        async with running(app) as client:
            pool = app.state.runtime.pool

            async def refer(n: int) -> None:
                for _ in range(n):
                    r = await client.post(
                        "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
                    )
                    assert r.status_code == 201

            await refer(3)
            await wait(
                lambda: pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL")
            )
            first.kill()
            first.wait()
            _, second = start_tansu(broker_port, advertised_port=proxy_port)
            await create_topics(bootstrap)
            await refer(2)
            wanted = {str(r[0]) for r in await pool.fetch("SELECT event_id FROM outbox")}

            async def whole_history():
                held = set()
                for topic in (topics.REFERRALS, topics.IDENTITY):
                    held |= {json.loads(r.value)["id"] for r in await read_topic(bootstrap, topic)}
                return held >= wanted

            assert await wait(whole_history, timeout=40)
    finally:
        await proxy.cut()
        for proc in (first, second):
            if proc is not None:
                proc.kill()
