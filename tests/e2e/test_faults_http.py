"""Faults at the HTTP edge: a database away answers 503 + Retry-After; a bug answers a clean 500."""

import asyncio
import uuid

import asyncpg
import httpx
from ap_chassis import problems
from ap_chassis.db import database_dsn
from fastapi import FastAPI

from tests.support.platform import RUN


def referral_dsn(infra) -> str:
    return database_dsn(infra.database_url, f"ap_referral_{RUN}")


async def test_a_command_whose_connection_is_terminated_answers_503_and_a_retry_succeeds(
    services, infra, helpers, wait
):
    body = helpers.referral_body()
    first = await services.referral.post("/v1/referrals", json=body, headers=helpers.token())
    assert first.status_code == 201
    key = str(uuid.uuid4())
    headers = {**helpers.token(), "Idempotency-Key": key}
    blocker = await asyncpg.connect(referral_dsn(infra))
    observer = await asyncpg.connect(referral_dsn(infra))
    try:
        # Hold the pupil's row so that the second referral's command waits inside its transaction.
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("SELECT 1 FROM pupils WHERE upn = $1 FOR UPDATE", body["upn"])
        again = {**body, "referred_on": "2026-09-14"}
        command = asyncio.create_task(
            services.referral.post("/v1/referrals", json=again, headers=headers)
        )

        async def waiting_backend():
            # Another connection: pg_stat_activity is a snapshot taken once per transaction.
            return await observer.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )

        pid = await wait(waiting_backend)
        assert await observer.fetchval("SELECT pg_terminate_backend($1)", pid)
        answer = await command
        await tx.rollback()
    finally:
        await blocker.close()
        await observer.close()
    assert answer.status_code == 503
    assert answer.headers["content-type"] == problems.PROBLEM
    assert int(answer.headers["retry-after"]) > 0
    assert answer.json()["status"] == 503
    retried = await services.referral.post("/v1/referrals", json=again, headers=headers)
    assert retried.status_code == 201


async def test_an_exhausted_pool_answers_503_with_retry_after(services, helpers):
    pool = services.apps["referral"].state.runtime.pool
    held = []
    saved = pool.acquire_timeout
    pool.acquire_timeout = 0.2
    try:
        for _ in range(pool.get_max_size()):
            held.append(await pool.acquire(timeout=10))
        answer = await services.referral.post(
            "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
        )
    finally:
        pool.acquire_timeout = saved
        for conn in held:
            await pool.release(conn)
    assert answer.status_code == 503
    assert answer.headers["content-type"] == problems.PROBLEM
    assert answer.headers["retry-after"]


async def test_an_unexpected_error_answers_500_problem_with_a_trace_id_and_no_cause():
    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret cause: forename=Zebedee")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == problems.PROBLEM
    body = answer.json()
    assert len(body["trace_id"]) == 32
    assert body["trace_id"] in body["detail"]
    assert "Zebedee" not in answer.text and "secret" not in answer.text
