"""The retention job with a fixed clock, on a real PostgreSQL database of its own (so the
session's other pupils are never touched), and `make retention`'s runner over all services."""

import importlib.util
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_chassis.retention import RetentionSettings, scheduler
from ap_referral import retention
from ap_referral.app import MIGRATIONS
from ap_schemas import topics
from fastapi import FastAPI

from tests.support.platform import RUN, random_upn, service_settings

_spec = importlib.util.spec_from_file_location(
    "make_retention", Path(__file__).resolve().parents[2] / "deploy" / "retention.py"
)
assert _spec is not None and _spec.loader is not None
make_retention = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_retention)

NOW = datetime(2040, 6, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
async def register(infra):
    dsn = await ensure_database(infra.database_url, f"ap_retention_{RUN}_{uuid.uuid4().hex[:6]}")
    pool = await create_pool(dsn)
    await migrate(pool, [MIGRATIONS])
    yield pool
    await pool.close()


async def pupil(pool, born: str, sen: str, *, referral_sen: str | None = None) -> uuid.UUID:
    pupil_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO pupils (pupil_id, upn, forename, surname, date_of_birth, sex, sen_provision)"
        " VALUES ($1, $2, 'Robin', 'Retain', $3, 'U', $4)",
        pupil_id, random_upn(), datetime.fromisoformat(born).date(), sen,
    )  # fmt: skip
    if referral_sen:
        await pool.execute(
            "INSERT INTO referrals (referral_id, pupil_id, status, referrer_kind, reason,"
            " tier_requested, referred_on, sen_provision) VALUES ($1, $2, 'received',"
            " 'local_authority', 'other', 2, '2024-09-01', $3)",
            uuid.uuid4(), pupil_id, referral_sen,
        )  # fmt: skip
    return pupil_id


async def test_retention_erases_on_the_las_rule_and_expires_old_keys(register):
    pool = register
    due_general = await pupil(pool, "2015-06-15", "N")  # 25 today
    kept_general = await pupil(pool, "2015-06-16", "N")  # 25 tomorrow
    due_sen = await pupil(pool, "2009-06-15", "N", referral_sen="K")  # 31 today, SEN referral
    kept_sen = await pupil(pool, "2009-06-16", "E")  # 31 tomorrow
    for key, age in (("old", timedelta(days=8)), ("new", timedelta(days=6))):
        await pool.execute(
            "INSERT INTO idempotency_keys (principal, key, request_hash, created_at)"
            " VALUES ('p', $1, 'h', $2)",
            key, NOW - age,
        )  # fmt: skip

    report = await retention.run(pool, RetentionSettings(), NOW)

    assert report["identities_erased"] == 2
    assert report["idempotency_keys_expired"] == 1
    assert report["as_of"] == NOW.isoformat()
    erased = {r["pupil_id"] for r in await pool.fetch(
        "SELECT pupil_id FROM pupils WHERE erased_at IS NOT NULL AND upn IS NULL"
        " AND surname IS NULL AND date_of_birth IS NULL"
    )}  # fmt: skip
    assert erased == {due_general, due_sen}
    assert kept_general not in erased and kept_sen not in erased
    tombstones = await pool.fetch(
        "SELECT key FROM outbox WHERE topic = $1 AND value IS NULL", topics.IDENTITY
    )
    assert {t["key"] for t in tombstones} == {str(due_general), str(due_sen)}
    bases = await pool.fetch("SELECT DISTINCT basis, requested_by FROM erasures")
    assert [tuple(b) for b in bases] == [("retention", "retention-job")]
    assert await pool.fetchval("SELECT array_agg(key) FROM idempotency_keys") == ["new"]

    again = await retention.run(pool, RetentionSettings(), NOW)
    assert (again["identities_erased"], again["idempotency_keys_expired"]) == (0, 0)

    shorter = await retention.run(
        pool, RetentionSettings(retention_general_years=24, idempotency_max_age_days=1), NOW
    )
    assert shorter["identities_erased"] == 1  # kept_general is 24
    assert shorter["idempotency_keys_expired"] == 1


async def test_make_retention_runs_every_services_job(services, infra):
    """Against the session's databases with a clock in the past: nothing is due anywhere."""
    overrides = {k: v for k, v in service_settings(infra, "x").items() if k != "database_name"}
    reports = []
    for name in make_retention.SERVICES:
        reports += await make_retention.run_all(
            datetime(2000, 1, 1, tzinfo=UTC), RetentionSettings(), [name],
            **overrides, database_name=f"ap_{name}_{RUN}",
        )  # fmt: skip
    assert [r["service"] for r in reports] == list(make_retention.SERVICES)
    assert all(r["idempotency_keys_expired"] == 0 for r in reports)
    assert reports[0]["identities_erased"] == 0


async def test_the_referral_service_runs_the_job_on_its_interval(register, wait):
    """The scheduler router's lifespan runs the job every interval while the service runs."""
    pool = register
    long_gone = await pupil(pool, "1990-01-01", "N")  # past 25 on today's real clock
    app = FastAPI()
    app.state.runtime = SimpleNamespace(pool=pool)
    router = scheduler(retention.run, RetentionSettings(retention_interval_seconds=0.1))
    async with router.lifespan_context(app):

        async def erased():
            return await pool.fetchval(
                "SELECT erased_at IS NOT NULL FROM pupils WHERE pupil_id = $1", long_gone
            )

        await wait(erased)
    basis = await pool.fetchval("SELECT basis FROM erasures WHERE pupil_id = $1", long_gone)
    assert basis == "retention"
