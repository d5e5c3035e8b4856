"""The repository contract: one set of tests, run on the in-memory fakes the handler tests use
and on PostgreSQL (a database of this run's own), so the fakes cannot drift from the real thing."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_placement import repository
from ap_placement.app import MIGRATIONS
from ap_placement.domain import Placement, Provider, ReferralFact
from ap_placement.provider_quality import Capacity, CheckRecord, Contract, Inspection
from ap_schemas.events import Commissioner, Cost

from tests.support.platform import RUN

DAY = date(2026, 9, 14)


@dataclass
class Repos:
    placements: Any
    providers: Any
    pg: Any = None  # the connection, on PostgreSQL

    async def seed_referral(self, fact: ReferralFact) -> None:
        """As the referral replica consumer would."""
        if self.pg is None:
            await self.placements.record_referral(fact)
        else:
            await repository.record_referral(
                self.pg, referral_id=fact.referral_id, pupil_id=fact.pupil_id,
                status=fact.status, reason=fact.reason, referrer_urn=fact.referrer_urn,
            )  # fmt: skip


@pytest.fixture(scope="session")
async def pg_pool(infra: Any) -> AsyncIterator[Any]:
    dsn = await ensure_database(infra.database_url, f"ap_placement_repo_{RUN}")
    pool = await create_pool(dsn, max_size=2)
    await migrate(pool, [MIGRATIONS])
    yield pool
    await pool.close()


@pytest.fixture(params=["fake", "postgres"])
def backend(request: pytest.FixtureRequest) -> Any:
    """The fake unit of work of conftest.py, or the pool of the database (set up here, outside
    the event loop, as the session's infrastructure needs)."""
    return request.getfixturevalue("uow" if request.param == "fake" else "pg_pool")


@pytest.fixture
async def repos(backend: Any) -> AsyncIterator[Repos]:
    if not hasattr(backend, "acquire"):
        yield Repos(backend.placements, backend.providers)
        return
    async with backend.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            yield Repos(repository.PgPlacements(conn), repository.PgProviders(conn), conn)
        finally:
            await tx.rollback()


def a_provider(name: str = "Bridge AP", **fields: Any) -> Provider:
    values: dict[str, Any] = {
        "provider_id": uuid4(),
        "name": name,
        "urn": "123456",
        "ukprn": None,
        "setting_type": None,
        "registered": True,
        **fields,
    }
    return Provider(**values)  # fmt: skip


def a_placement(provider: Provider, **fields: Any) -> Placement:
    values: dict[str, Any] = {
        "placement_id": uuid4(), "pupil_id": uuid4(), "referral_id": uuid4(),
        "provider_id": provider.provider_id,
        "commissioner": Commissioner(kind="school", urn="100001"), "tier": 2, "start_date": DAY,
        "planned_end_date": DAY + timedelta(days=90), "sessions_per_week": 8,
        "cost": Cost(amount_pence=6500, per="session"), "annual_cost_pence": 2_028_000,
        "dual_registered": True, "reason": "suspension", "phase": "secondary",
        "funded_by": "school", **fields,
    }  # fmt: skip
    return Placement(**values)


async def placed(repos: Repos, placement: Placement) -> Placement:
    await repos.placements.lock_pupil(placement.pupil_id)  # the pupil's row comes first
    await repos.placements.add(placement)
    return placement


# providers -------------------------------------------------------------------------------


async def test_a_provider_reads_back_as_saved_and_the_list_is_by_name(repos):
    b, a = a_provider("Beta", state_ap=True), a_provider("Alpha", urn=None, setting_type="OOT")
    for p in (b, a):
        await repos.providers.add(p)
    assert await repos.providers.get(b.provider_id) == b
    assert await repos.providers.get(a.provider_id, for_update=True) == a
    assert await repos.providers.get(uuid4()) is None
    assert [p.name for p in await repos.providers.all()] == ["Alpha", "Beta"]


async def test_a_registration_saved_replaces_registered_urn_and_date(repos):
    p = a_provider(registered=False, urn=None, ukprn="10012345")
    await repos.providers.add(p)
    changed = replace(p, registered=True, urn="654321", registration_changed_on=DAY)
    await repos.providers.save_registration(changed)
    assert await repos.providers.get(p.provider_id) == changed


async def test_checks_read_back_in_the_order_recorded(repos):
    p = a_provider()
    await repos.providers.add(p)
    for outcome in ("failed", "passed"):
        await repos.providers.add_check(p.provider_id, CheckRecord(
            "insurance", DAY, DAY + timedelta(days=365), outcome, check_id=uuid4(),
            officer_id=None,
        ))  # fmt: skip
    await repos.providers.add_check(p.provider_id, CheckRecord(
        "qa_visit", DAY, DAY, "approved", check_id=uuid4(), officer_id="officer-7"
    ))  # fmt: skip
    held = await repos.providers.checks(p.provider_id)
    assert [(c.check, c.outcome, c.officer_id) for c in held] == [
        ("insurance", "failed", None), ("insurance", "passed", None),
        ("qa_visit", "approved", "officer-7"),
    ]  # fmt: skip
    assert held[0].seq < held[1].seq < held[2].seq
    assert all(c.check_id is not None for c in held)
    assert await repos.providers.checks(uuid4()) == []


async def test_the_latest_inspection_and_one_per_date(repos):
    p = a_provider()
    await repos.providers.add(p)
    assert await repos.providers.latest_inspection(p.provider_id) is None
    old = Inspection(None, DAY - timedelta(days=400), None, "eif_2019:3", "Requires improvement")
    first = Inspection("123456", DAY, None, "eif_2019:2", "Good")
    corrected = replace(first, published_on=DAY + timedelta(days=20), judgement="eif_2019:1",
                        judgement_text="Outstanding")  # fmt: skip
    for i in (old, first, corrected):
        await repos.providers.save_inspection(p.provider_id, i)
    assert await repos.providers.latest_inspection(p.provider_id) == corrected


async def test_capacity_one_figure_per_key_ordered(repos):
    p = a_provider()
    await repos.providers.add(p)
    rows = [Capacity(3, "primary", 2, DAY), Capacity(2, "secondary", 5, DAY),
            Capacity(2, "primary", 4, DAY + timedelta(days=30)), Capacity(2, "primary", 3, DAY),
            Capacity(2, "secondary", 7, DAY)]  # fmt: skip
    for c in rows:
        await repos.providers.save_capacity(p.provider_id, c)
    assert await repos.providers.capacity(p.provider_id) == [
        Capacity(2, "primary", 3, DAY), Capacity(2, "primary", 4, DAY + timedelta(days=30)),
        Capacity(2, "secondary", 7, DAY), Capacity(3, "primary", 2, DAY),
    ]  # fmt: skip


async def test_contracts_read_back_by_tier_and_start(repos):
    p = a_provider()
    await repos.providers.add(p)
    later = Contract(uuid4(), 2, DAY + timedelta(days=200), DAY + timedelta(days=300), 100, "week")
    first = Contract(uuid4(), 2, DAY, DAY + timedelta(days=100), 6500, "session")
    tier1 = Contract(uuid4(), 1, DAY + timedelta(days=50), DAY + timedelta(days=60), 9, "year")
    for c in (later, first, tier1):
        await repos.providers.add_contract(p.provider_id, c)
    assert await repos.providers.contracts(p.provider_id) == [tier1, first, later]


# referrals and placements ----------------------------------------------------------------


async def test_the_referral_replica_reads_back(repos):
    fact = ReferralFact(uuid4(), uuid4(), "accepted", "suspension", "100001")
    await repos.seed_referral(fact)
    assert await repos.placements.referral(fact.referral_id) == fact
    assert await repos.placements.referral(uuid4()) is None


@pytest.mark.parametrize("cost", [Cost(amount_pence=6500, per="session"), None])
async def test_a_placement_reads_back_as_saved_and_open(repos, cost):
    p = a_provider()
    await repos.providers.add(p)
    annual = cost and 2_028_000
    placement = await placed(repos, a_placement(p, cost=cost, annual_cost_pence=annual))
    assert await repos.placements.get(placement.placement_id) == placement
    assert await repos.placements.open_placement(placement.pupil_id) == placement
    assert await repos.placements.get(uuid4()) is None
    assert await repos.placements.open_placement(uuid4()) is None


async def test_an_ended_placement_is_no_longer_open(repos):
    p = a_provider()
    await repos.providers.add(p)
    placement = await placed(repos, a_placement(p))
    ended = replace(placement, end_date=DAY + timedelta(days=10), end_reason="completed")
    await repos.placements.lock_pupil(placement.pupil_id)
    await repos.placements.save_end(ended)
    assert await repos.placements.get(placement.placement_id) == ended
    assert await repos.placements.open_placement(placement.pupil_id) is None


async def test_placements_in_use_count_by_tier_phase_and_day(repos):
    p = a_provider()
    await repos.providers.add(p)
    await placed(repos, a_placement(p))
    await placed(repos, a_placement(p, phase="primary"))
    await placed(repos, a_placement(p, tier=3))
    await placed(repos, a_placement(p, start_date=DAY + timedelta(days=5)))
    await placed(repos, a_placement(p, end_date=DAY - timedelta(days=1), end_reason="completed",
                                    start_date=DAY - timedelta(days=30)))  # fmt: skip
    in_use = repos.placements.in_use
    assert await in_use(p.provider_id, tier=2, phase="secondary", on=DAY) == 1
    assert await in_use(p.provider_id, tier=2, phase=None, on=DAY) == 2
    assert await in_use(p.provider_id, tier=2, phase=None, on=DAY + timedelta(days=5)) == 3
    assert await in_use(uuid4(), tier=2, phase=None, on=DAY) == 0
