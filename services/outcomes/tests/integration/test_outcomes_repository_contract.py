"""One contract for the outcomes repository, run on the in-memory fake and on PostgreSQL.

The handler tests trust the fake; these tests are what make that trust earned. Each PostgreSQL
test runs in a transaction that is rolled back, on a database of this run's own.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from ap_chassis.uow import EventContext
from ap_outcomes.app import MIGRATIONS
from ap_outcomes.domain import Destination, PlacementFact, Reintegration, Review
from ap_outcomes.uow import OutcomesUnitOfWork
from ap_schemas.envelope import Actor
from ap_schemas.events import Attendance
from asyncpg import Pool

from tests.support.platform import migrated_pool

START = date(2026, 9, 14)


@pytest.fixture(scope="module")
async def pool(infra):
    async with migrated_pool(infra, "ap_outcomescontract", [MIGRATIONS]) as pool:
        yield pool


@pytest.fixture(params=["fake", "postgres"])
def backend(request):
    """The fake's unit of work, or the pool (set up here, outside the running event loop)."""
    return request.getfixturevalue("uow" if request.param == "fake" else "pool")


@pytest.fixture
async def repo(backend) -> AsyncIterator[object]:
    if not isinstance(backend, Pool):
        yield backend.outcomes
        return
    ctx = EventContext("test", Actor(system="test", user_id="u-test"), "c-1")
    async with backend.acquire() as conn, OutcomesUnitOfWork(conn, ctx) as uow:
        yield uow.outcomes  # never committed: rolled back


async def placement(repo, **overrides) -> PlacementFact:
    fields = {
        "placement_id": uuid4(), "pupil_id": uuid4(), "start_date": START, "end_date": None,
        "provider_id": uuid4(), "commissioner_urn": "100001",
    } | overrides  # fmt: skip
    await repo.record_placement(PlacementFact(**fields))
    return PlacementFact(**fields)


async def test_a_remembered_pupil_is_known_and_no_other(repo):
    pupil_id = uuid4()
    await repo.remember_pupil(pupil_id)
    await repo.remember_pupil(pupil_id)
    assert await repo.pupil_known(pupil_id) is True
    assert await repo.pupil_known(uuid4()) is False


async def test_a_placement_reads_back_by_id_and_among_its_pupils(repo):
    first = await placement(repo)
    second = await placement(repo, pupil_id=first.pupil_id, commissioner_urn=None)
    await placement(repo)  # another pupil's
    assert await repo.get_placement(first.placement_id) == first
    assert await repo.get_placement(uuid4()) is None
    mine = await repo.pupil_placements(first.pupil_id)
    assert sorted(mine, key=lambda p: str(p.placement_id)) == sorted(
        [first, second], key=lambda p: str(p.placement_id)
    )
    assert await repo.pupil_placements(uuid4()) == []


async def test_a_placement_end_needs_that_pupils_placement(repo):
    known = await placement(repo)
    end = date(2027, 3, 31)
    assert (
        await repo.record_placement_end(
            placement_id=known.placement_id, pupil_id=uuid4(), end_date=end
        )
        is False
    )
    assert (
        await repo.record_placement_end(placement_id=uuid4(), pupil_id=known.pupil_id, end_date=end)
        is False
    )
    assert await repo.get_placement(known.placement_id) == known
    assert (
        await repo.record_placement_end(
            placement_id=known.placement_id, pupil_id=known.pupil_id, end_date=end
        )
        is True
    )
    assert await repo.get_placement(known.placement_id) == replace(known, end_date=end)


async def test_a_placement_replicated_again_keeps_its_pupil_and_end(repo):
    known = await placement(repo)
    end = date(2027, 3, 31)
    await repo.record_placement_end(
        placement_id=known.placement_id, pupil_id=known.pupil_id, end_date=end
    )
    moved = {"start_date": date(2026, 9, 21), "provider_id": uuid4(), "commissioner_urn": None}
    await repo.record_placement(replace(known, pupil_id=uuid4(), end_date=None, **moved))
    assert await repo.get_placement(known.placement_id) == replace(known, end_date=end, **moved)


async def test_a_new_placement_has_no_end_until_one_is_recorded(repo):
    fact = replace(await placement(repo), placement_id=uuid4(), end_date=date(2027, 3, 31))
    await repo.record_placement(fact)
    assert await repo.get_placement(fact.placement_id) == replace(fact, end_date=None)


async def test_a_pupil_may_be_locked_again(repo):
    pupil_id = uuid4()
    await repo.lock_pupil(pupil_id)
    await repo.lock_pupil(pupil_id)


async def test_a_review_reads_back_as_saved(repo):
    review = Review(
        review_id=uuid4(), placement_id=uuid4(), pupil_id=uuid4(), reviewed_on=date(2026, 10, 20),
        attendance=Attendance(possible_sessions=56, attended_sessions=40), progress="below",
        outcome="extend", next_review_on=None,
    )  # fmt: skip
    await repo.add_review(review)
    assert await repo.get_review(review.review_id) == review
    assert await repo.get_review(uuid4()) is None


async def test_a_reintegration_saved_again_keeps_only_its_latest_check(repo):
    first = Reintegration(
        reintegration_id=uuid4(), pupil_id=uuid4(), reintegrated_on=date(2027, 4, 12),
        school_urn="300003", mode="full_time", placement_id=None,
    )  # fmt: skip
    await repo.save_reintegration(first)
    assert await repo.get_reintegration(first.reintegration_id) == first
    checked = replace(first, checked_on=date(2027, 7, 12), sustained=False)
    await repo.save_reintegration(replace(checked, school_urn="999999", mode="phased"))
    assert await repo.get_reintegration(first.reintegration_id) == checked
    rechecked = replace(checked, checked_on=date(2027, 9, 1), sustained=True)
    await repo.save_reintegration(rechecked)
    assert await repo.get_reintegration(first.reintegration_id) == rechecked
    assert await repo.get_reintegration(uuid4()) is None


async def test_a_destination_reads_back_as_saved(repo):
    destination = Destination(
        destination_id=uuid4(), pupil_id=uuid4(), activity_code=540, group="neet",
        confirmed_on=date(2028, 10, 1),
    )  # fmt: skip
    await repo.add_destination(destination)
    assert await repo.get_destination(destination.destination_id) == destination
    assert await repo.get_destination(uuid4()) is None
