"""Rebuilding reporting's read models with no downtime, on the real broker and database.

A rebuild replays every topic from offset 0 into a new schema and switches to it: the answers
are the live projection's, reads made all through it never fail and never change, an erased pupil
stays erased, a second rebuild works as the first, and only an LA officer may ask for one.
"""

import asyncio
import importlib.util
import uuid
from pathlib import Path
from typing import Any

import pytest
from ap_reporting import app as reporting_app
from ap_reporting import rebuild as rebuild_module
from prometheus_client import CollectorRegistry

from tests.e2e.support import journeys
from tests.e2e.support.journeys import LA
from tests.e2e.support.privacy import placed_pupil, unique_identity
from tests.support.platform import token


async def read_models(services, pupil_ids: list[str]) -> dict[str, Any]:
    """What the read models hold for these pupils (through the pool: the active generation)."""
    ids = [uuid.UUID(p) for p in pupil_ids]
    queries = {
        "events": "SELECT event_id, pupil_id, type, occurred_at, recorded_at, source, data"
        " FROM journey_events WHERE pupil_id = ANY($1) ORDER BY event_id",
        "state": "SELECT pupil_id, status, tier, school_urns, provider_ids FROM pupil_state"
        " WHERE pupil_id = ANY($1) ORDER BY pupil_id",
        "placements": "SELECT * FROM placement_facts WHERE pupil_id = ANY($1)"
        " ORDER BY placement_id",
        "identity": "SELECT pupil_id, details FROM pupil_identity WHERE pupil_id = ANY($1)"
        " ORDER BY pupil_id",
    }
    async with services.apps["reporting"].state.runtime.pool.acquire() as conn:
        return {k: [dict(r) for r in await conn.fetch(q, ids)] for k, q in queries.items()}


async def active_schema(services) -> str:
    async with services.apps["reporting"].state.runtime.pool.acquire() as conn:
        return str(await conn.fetchval("SELECT current_schema()"))


def command_line() -> Any:
    spec = importlib.util.spec_from_file_location(
        "rebuild_cli", Path(__file__).parents[2] / "deploy" / "local" / "rebuild.py"
    )
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    return cli


async def no_rebuild_running(services) -> bool:
    async with services.apps["reporting"].state.runtime.pool.acquire() as conn:
        return not await conn.fetchval(
            "SELECT count(*) FROM read_model_rebuilds WHERE status = 'running'"
        )


async def rebuild(services, wait) -> dict[str, Any]:
    async def accepted():  # another test may have started one (409 until it ends)
        r = await services.reporting.post("/v1/admin/rebuilds", headers=LA)
        assert r.status_code in (202, 409), r.text
        return r.status_code == 202 and r

    rebuild_id = (await wait(accepted, timeout=300, interval=0.5)).json()["rebuild_id"]

    async def finished():
        r = await services.reporting.get(f"/v1/admin/rebuilds/{rebuild_id}", headers=LA)
        assert r.status_code == 200, r.text
        return r.json()["status"] != "running" and r.json()

    done = await wait(finished, timeout=300)
    assert done["status"] == "done", done
    assert done["lag"] == 0 and done["events_applied"] > 0
    print(
        f"\nrebuild {done['generation']}: {done['events_applied']} events applied,"
        f" {done['events_skipped']} skipped, {done['events_per_second']:.0f} events/s"
    )
    return done


async def test_a_rebuild_answers_as_the_live_projection_and_reads_never_fail(
    services, wait, capsys
):
    pupils = []
    for _ in range(3):
        body = unique_identity(referred_on="2034-09-01")
        pupils.append((body, await placed_pupil(services, body, start_date="2034-09-04")))
    ids = [referral["pupil_id"] for _, referral in pupils]
    erased_id = ids[0]
    erased = await services.referral.post(
        f"/v1/pupils/{erased_id}/erasure", json={"reason": "request"}, headers=LA
    )
    assert erased.status_code == 202, erased.text

    async def settled():
        held = await read_models(services, ids)
        placed = {str(r["pupil_id"]) for r in held["placements"]}
        identities = {str(r["pupil_id"]) for r in held["identity"]}
        complete = len(held["events"]) == 3 * len(ids)  # referred, decided, placed: any order
        return complete and placed == set(ids) and identities == set(ids[1:]) and held

    before = await wait(settled)
    timeline_path = f"/v1/pupils/{ids[1]}/timeline"
    expected_timeline = (await services.reporting.get(timeline_path, headers=LA)).json()
    schema_before = await active_schema(services)

    answers: list[tuple[int, Any]] = []
    stop = asyncio.Event()

    async def read_continuously():
        while not stop.is_set():
            r = await services.reporting.get(timeline_path, headers=LA)
            answers.append((r.status_code, r.json()))
            c = await services.reporting.get("/v1/caseload", headers=LA)
            answers.append((c.status_code, None))
            await asyncio.sleep(0)

    reader = asyncio.create_task(read_continuously())
    try:
        first = await rebuild(services, wait)
    finally:
        stop.set()
        await reader
    assert answers and all(status == 200 for status, _ in answers), answers[:3]
    assert all(body == expected_timeline for _, body in answers if body is not None)

    schema_after = await active_schema(services)
    assert schema_after == f"rm_{first['generation']}" != schema_before
    async with services.apps["reporting"].state.runtime.pool.acquire() as conn:
        assert not await conn.fetchval("SELECT to_regnamespace($1)", schema_before)
    after = await read_models(services, ids)
    assert after == before  # same answers as the live projection; the erased pupil not back

    await wait(lambda: no_rebuild_running(services), timeout=300)
    capsys.readouterr()
    second = await command_line().run_rebuild(services.reporting, headers=LA)  # make rebuild
    assert second["status"] == "done" and second["generation"] > first["generation"]
    assert "events applied" in capsys.readouterr().err
    assert await active_schema(services) == f"rm_{second['generation']}"
    assert await read_models(services, ids) == before
    metrics = (await services.reporting.get("/metrics")).text
    assert "journey_rebuild_events_applied" in metrics and "journey_rebuild_lag" in metrics


TABLES = {
    "journey_events": "*",
    "provider_events": "*",
    "providers": "*",
    "placement_facts": "*",
    "pupil_identity": "*",
    "pupil_state": "pupil_id, status, tier, school_urns, provider_ids",  # not updated_at
}


async def test_every_read_model_row_of_the_live_projection_is_rebuilt_identically(services, wait):
    """Whole tables: each row the live consumers wrote is in the rebuilt schema, unchanged."""
    await wait(lambda: no_rebuild_running(services), timeout=300)
    app = services.apps["reporting"]
    job = await rebuild_module.start(app.state.runtime, app.state.rebuild_gauges, "test")
    job.drop_old = False
    async with app.state.runtime.pool.acquire() as conn:
        old = await conn.fetchval("SELECT current_schema()")
    await job.run()
    new = job.schema
    try:
        async with app.state.runtime.pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_schema()") == new
            for table, columns in TABLES.items():
                rows = await conn.fetchval(f"SELECT count(*) FROM {old}.{table}")
                missing = await conn.fetchval(
                    f"SELECT count(*) FROM (SELECT {columns} FROM {old}.{table}"
                    f" EXCEPT SELECT {columns} FROM {new}.{table}) AS x"
                )
                assert missing == 0, f"{table}: {missing} of {rows} rows differ"
            assert await conn.fetchval(f"SELECT count(*) FROM {new}.journey_events") > 0
    finally:
        async with app.state.runtime.pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA {old} CASCADE")


async def test_only_an_la_officer_may_rebuild(services):
    others = [token("school", urn="123456"), token("provider", provider_id=str(uuid.uuid4())),
              token("analyst"), token("auditor")]  # fmt: skip
    calls = [("POST", "/v1/admin/rebuilds"), ("GET", f"/v1/admin/rebuilds/{uuid.uuid4()}")]
    answers = [
        (await services.reporting.request(method, path, headers=headers)).status_code
        for headers in others
        for method, path in calls
    ]
    assert answers == [403] * len(others) * len(calls)
    unknown = await services.reporting.get(calls[1][1], headers=LA)
    assert unknown.status_code == 404


async def test_a_rebuild_that_fails_says_so_on_its_gauge_until_the_next_one(services, wait):
    """journey_rebuild_failed (the RebuildFailed alert's series): 1 after a failure, 0 once
    another rebuild starts; the failed generation is dropped and the row says failed."""
    await wait(lambda: no_rebuild_running(services), timeout=300)
    app = services.apps["reporting"]
    registry = CollectorRegistry()  # gauges of their own: the app's /metrics stays untouched
    gauges = rebuild_module.RebuildGauges(registry)
    job = await rebuild_module.start(app.state.runtime, gauges, "test")
    task = asyncio.create_task(job.run())
    await asyncio.sleep(0)  # into its first await, then stopped as a shutdown would stop it
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert registry.get_sample_value("journey_rebuild_failed") == 1
    assert registry.get_sample_value("journey_rebuild_running") == 0
    async with app.state.runtime.pool.acquire() as conn:
        status = await conn.fetchval(
            "SELECT status FROM read_model_rebuilds WHERE rebuild_id = $1", job.rebuild_id
        )
    assert status == "failed"
    following = await rebuild_module.start(app.state.runtime, gauges, "test")
    await following.run()
    assert registry.get_sample_value("journey_rebuild_failed") == 0


async def test_an_upgrade_that_adds_a_read_model_rebuilds_by_itself(services, wait):
    """A release adding a fact table to a generation that already holds events: the table would
    read empty, so reporting rebuilds by itself and the facts come back from the events."""
    placed = await journeys.placed_pupil(services)
    review = await journeys.retrying(lambda: services.outcomes.post("/v1/reviews", json={
        "placement_id": placed["placement_id"], "reviewed_on": "2026-10-20",
        "attendance": {"possible_sessions": 10, "attended_sessions": 9},
        "progress": "expected", "outcome": "continue",
    }, headers=LA))  # fmt: skip
    assert review.status_code == 201, review.text
    app = services.apps["reporting"]
    runtime, pupil = app.state.runtime, uuid.UUID(placed["pupil_id"])
    facts = "SELECT count(*) FROM outcome_facts WHERE pupil_id = $1"

    async def fact_recorded():
        return await runtime.pool.fetchval(facts, pupil) > 0

    await wait(fact_recorded)
    await wait(lambda: no_rebuild_running(services), timeout=300)
    async with runtime.pool.acquire() as conn:  # as before the release: no table, no record
        old = await conn.fetchval("SELECT current_schema()")
        await conn.execute("DROP TABLE outcome_facts")
        await conn.execute("DELETE FROM schema_migrations WHERE name LIKE '%0007_outcome_facts%'")

    await reporting_app.read_models_ready(app, runtime)  # the hook the next start runs

    async def rebuilt():
        return await active_schema(services) != old and await fact_recorded()

    await wait(rebuilt, timeout=300)
    await wait(lambda: no_rebuild_running(services), timeout=300)
