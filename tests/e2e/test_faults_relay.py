"""The relay lock: a replica whose lock connection dies stops; the other takes over; no doubles."""

import asyncio
import collections
import contextlib
import json
import uuid

import asyncpg
from ap_chassis.db import database_dsn
from ap_schemas import topics

from tests.support.platform import RUN, build, running


async def test_terminating_the_lock_connection_hands_over_without_publishing_twice(
    infra, helpers, topic_reader, wait
):
    name = f"ap_referral_{RUN}_relay_{uuid.uuid4().hex[:4]}"
    apps = [build("referral", infra, database_name=name) for _ in range(2)]
    dsn = database_dsn(infra.database_url, name)
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(running(app)) for app in apps]
        admin = await asyncpg.connect(dsn)
        stack.push_async_callback(admin.close)
        pupils: list[str] = []

        async def refer(n: int) -> None:
            for i in range(n):
                r = await clients[i % 2].post(
                    "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
                )
                assert r.status_code == 201, r.text
                pupils.append(r.json()["pupil_id"])

        async def lock_holder():
            return await admin.fetchval(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )

        await refer(10)
        first = await wait(lock_holder)
        traffic = asyncio.create_task(refer(30))
        await asyncio.sleep(0.3)
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        await traffic
        second = await wait(lock_holder)
        assert second != first
        await refer(10)  # publishing resumed under the new holder

        async def all_sent():
            return await admin.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL")

        await wait(all_sent, timeout=30)
        expected = {str(r["event_id"]) for r in await admin.fetch("SELECT event_id FROM outbox")}
        assert len(expected) == 2 * len(pupils)  # referred + identity per referral
        keys = set(pupils)
        seen: collections.Counter[str] = collections.Counter()
        for topic in (topics.REFERRALS, topics.IDENTITY):
            for record in await topic_reader(topic, timeout=10):
                if record.key and record.key.decode() in keys:
                    seen[json.loads(record.value)["id"]] += 1
        assert set(seen) == expected  # none lost
        assert [eid for eid, n in seen.items() if n > 1] == []  # none published twice
        holders = [app.state.runtime.relay.holding for app in apps]
        assert sorted(holders) == [False, True]
