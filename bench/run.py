"""Benchmarks that print figures: command latency, outbox relay rate, projection rate, memory.

`make bench`. Uses the same infrastructure discovery as the tests (environment, Docker, embedded);
every figure is measured here, on this machine, never asserted.
"""

import asyncio
import resource
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from ap_chassis.auth import issue_token
from ap_chassis.infra import provision
from ap_chassis.kafka import create_topics
from ap_schemas.upn import check_letter

SECRET = "bench-secret-" + "x" * 32
RUN = secrets.token_hex(3)
COMMANDS = 400
CONCURRENCY = 16


def settings(module, name: str, infra) -> object:
    return module.Settings(
        JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET=SECRET, database_url=infra.database_url,
        database_name=f"ap_{name}_bench_{RUN}",
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=500, log_level="WARNING",
        rate_limit_writes_per_minute=0,  # the bench measures throughput, not the limit
    )  # fmt: skip


def body(i: int) -> dict:
    digits = f"801{i:09d}"
    return {
        "upn": check_letter(digits) + digits, "forename": "Bench", "surname": "Pupil",
        "date_of_birth": "2011-05-06", "sex": "U", "sen_provision": "N",
        "referrer": {"kind": "local_authority"}, "reason": "other", "tier_requested": 2,
        "referred_on": "2026-09-07", "home_school_urn": "100000",
    }  # fmt: skip


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


async def main() -> None:
    import ap_referral.app as referral
    import ap_reporting.app as reporting

    infra = provision(Path(tempfile.mkdtemp(prefix="ap-bench-")))
    print(f"infrastructure: {infra.origin}")
    try:
        await create_topics(infra.kafka_bootstrap_servers)
        ref_app = referral.create_app(settings(referral, "referral", infra))
        rep_app = reporting.create_app(settings(reporting, "reporting", infra))
        headers = {"Authorization": "Bearer " + issue_token(SECRET, sub="bench", role="la_officer")}
        async with (
            ref_app.router.lifespan_context(ref_app),
            rep_app.router.lifespan_context(rep_app),
        ):
            for app in (ref_app, rep_app):
                await asyncio.wait_for(app.state.runtime.broker_ready.wait(), 60)
            transport = httpx.ASGITransport(app=ref_app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                # 1. command latency, one at a time (HTTP -> validation -> one transaction)
                latencies = []
                for i in range(COMMANDS // 4):
                    t = time.perf_counter()
                    r = await client.post("/v1/referrals", json=body(i), headers=headers)
                    latencies.append(time.perf_counter() - t)
                    assert r.status_code == 201, r.text
                print(
                    f"POST /v1/referrals sequential: n={len(latencies)} "
                    f"p50={pct(latencies, 50):.1f} ms p95={pct(latencies, 95):.1f} ms"
                )

                # 2. throughput with concurrent clients
                sem = asyncio.Semaphore(CONCURRENCY)

                async def one(i: int) -> None:
                    async with sem:
                        r = await client.post("/v1/referrals", json=body(i), headers=headers)
                        assert r.status_code == 201, r.text

                t = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(COMMANDS // 4, COMMANDS)))
                took = time.perf_counter() - t
                n = COMMANDS - COMMANDS // 4
                print(f"POST /v1/referrals x{CONCURRENCY} concurrent: {n / took:.0f} commands/s")

            # 3. relay: every outbox row published (two events per referral)
            pool = ref_app.state.runtime.pool
            t = time.perf_counter()
            while await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
                await asyncio.sleep(0.02)
            total = await pool.fetchval("SELECT count(*) FROM outbox")
            print(
                f"outbox drained {time.perf_counter() - t:.2f}s after the last command "
                f"({total} events in all)"
            )

            # 4. relay rate on a backlog written in one go
            backlog = 5000
            rows = await pool.fetch(
                "SELECT topic, key, value, headers FROM outbox ORDER BY id LIMIT 2"
            )
            import uuid

            ref_app.state.runtime.relay._poll = 3600
            async with pool.acquire() as conn, conn.transaction():
                await conn.executemany(
                    "INSERT INTO outbox (event_id, topic, key, value, headers)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    [(uuid.uuid4(), rows[i % 2]["topic"], rows[i % 2]["key"], rows[i % 2]["value"],
                      rows[i % 2]["headers"]) for i in range(backlog)],
                )  # fmt: skip
                await conn.execute("SELECT pg_notify('outbox', '')")
            t = time.perf_counter()
            while await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
                await asyncio.sleep(0.02)
            print(
                f"relay: {backlog / (time.perf_counter() - t):.0f} events/s"
                f" on a backlog of {backlog}"
            )

            # 5. projection: reporting applies each distinct event once; the backlog's copies
            # are redeliveries of the same event ids, skipped by the inbox
            rep_pool = rep_app.state.runtime.pool
            t = time.perf_counter()
            while await rep_pool.fetchval("SELECT count(*) FROM inbox") < 2 * COMMANDS:
                await asyncio.sleep(0.05)
            metrics = rep_app.state.runtime.metrics
            dupes = sum(m.value for m in metrics.duplicates.collect()[0].samples
                        if m.name.endswith("_total"))  # fmt: skip
            print(
                f"reporting caught up {time.perf_counter() - t:.2f}s after the relay: "
                f"{2 * COMMANDS} events applied once, {dupes:.0f} redeliveries skipped so far"
            )
    finally:
        infra.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process (two services in-process): {rss:.0f} MiB")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
