"""The referral repositories' contract, run against the in-memory fakes and real PostgreSQL alike,
so handler tests on the fakes say what production does. PostgreSQL work stays uncommitted."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_chassis.uow import EventContext
from ap_referral import domain
from ap_referral.app import MIGRATIONS
from ap_referral.commands import ErasePupil, Identity
from ap_referral.uow import ReferralUnitOfWork
from ap_schemas.envelope import Actor
from ap_schemas.events import FsmPeriod
from ap_schemas.upn import check_letter

from tests.support.platform import RUN, random_upn

IDENTITY = Identity(
    forename="Alex", surname="Example", middle_names="Sam", date_of_birth=date(2012, 3, 4),
    sex="F", ethnicity="WBRI", fsm_eligible=True, postcode="YO1 7HH", sen_provision="K",
    uln="1234567890", address_lines=["1 High Street", "York"], uprn="100012345678",
    service_child=False,
    fsm_periods=[FsmPeriod(start_date=date(2025, 9, 1), end_date=date(2026, 7, 20))],
)  # fmt: skip
# What the register gives back: fsm_periods (jsonb) as JSON.
STORED = IDENTITY.values() | {
    "fsm_periods": [{"start_date": "2025-09-01", "end_date": "2026-07-20"}]
}


@pytest.fixture(scope="module")
async def contract_pool(infra):
    dsn = await ensure_database(infra.database_url, f"ap_referral_contract_{RUN}")
    pool = await create_pool(dsn)
    await migrate(pool, [MIGRATIONS])
    yield pool
    await pool.close()


@pytest.fixture(params=["fake", "postgres"])
async def store(request, uow, contract_pool):
    """A unit of work of either kind; the PostgreSQL one rolls back when the test ends."""
    if request.param == "fake":
        yield uow
        return
    ctx = EventContext("test", Actor(system="test", user_id="u-test"), "c-contract")
    async with contract_pool.acquire() as conn, ReferralUnitOfWork(conn, ctx) as pg:
        yield pg


async def registered(store, upn: str | None = None) -> domain.Pupil:
    pupil = domain.Pupil(uuid4(), upn or random_upn(), IDENTITY.values())
    assert await store.pupils.add(pupil)
    return pupil


def referral_of(pupil: domain.Pupil) -> domain.Referral:
    return domain.Referral(
        referral_id=uuid4(), pupil_id=pupil.pupil_id, status="received", referrer_kind="school",
        referrer_urn="100001", reason="suspension", tier_requested=2,
        referred_on=date(2026, 9, 7), excluded_on=date(2026, 9, 4), sen_provision="K",
        home_school_urn=None,
    )  # fmt: skip


async def test_a_pupil_reads_back_by_upn_and_by_id_as_the_register_holds_it(store):
    pupil = await registered(store)
    expected = domain.Pupil(pupil.pupil_id, pupil.upn, STORED)
    assert await store.pupils.by_upn(pupil.upn) == expected
    assert await store.pupils.by_id(pupil.pupil_id) == expected
    assert await store.pupils.by_upn(random_upn()) is None
    assert await store.pupils.by_id(uuid4()) is None


async def test_a_upn_is_registered_once(store):
    first = await registered(store)
    second = domain.Pupil(uuid4(), first.upn, IDENTITY.values() | {"surname": "Other"})
    assert await store.pupils.add(second) is False
    found = await store.pupils.by_upn(first.upn)
    assert found is not None and found.pupil_id == first.pupil_id
    assert await store.pupils.by_id(second.pupil_id) is None


async def test_saving_a_pupil_writes_its_identifying_details(store):
    pupil = await registered(store)
    await store.pupils.lock(pupil.pupil_id)
    # fsm_periods as an applied change gives them: JSON, as the register hands them back
    periods = [{"start_date": "2024-01-08", "end_date": None}]
    changed = {"surname": "Changed", "date_of_birth": date(2012, 3, 5), "address_lines": None,
               "fsm_periods": periods}  # fmt: skip
    await store.pupils.save(replace(pupil, identity=pupil.identity | changed))
    assert await store.pupils.by_id(pupil.pupil_id) == domain.Pupil(
        pupil.pupil_id, pupil.upn, STORED | changed
    )


async def test_a_referral_reads_back_as_saved_and_later_saves_update_it(store):
    referral = referral_of(await registered(store))
    await store.referrals.save(referral)
    assert await store.referrals.get(referral.referral_id) == referral
    decided = replace(referral, status="accepted", decision="accepted",
                      decided_on=date(2026, 9, 8), decision_reason="fits")  # fmt: skip
    await store.referrals.save(decided)
    withdrawn = replace(decided, status="withdrawn", withdrawn_on=date(2026, 9, 9),
                        withdrawal_reason="moved away")  # fmt: skip
    await store.referrals.save(withdrawn)
    assert await store.referrals.get(referral.referral_id) == withdrawn
    assert await store.referrals.get(uuid4()) is None


async def test_an_identity_change_is_found_only_under_its_pupil_and_saves_as_applied(store):
    pupil = await registered(store)
    change = domain.IdentityChange(
        uuid4(), pupil.pupil_id, None, "la_officer:-:u",
        {"surname": "Example", "fsm_periods": None},
        {"surname": "Changed", "fsm_periods": [{"start_date": "2025-09-01", "end_date": None}]},
    )  # fmt: skip
    await store.identity_changes.save(change)
    assert await store.identity_changes.get(pupil.pupil_id, change.change_id) == change
    assert await store.identity_changes.get(uuid4(), change.change_id) is None
    applied = replace(change, status="applied", applied_by="rule:auto-apply")
    await store.identity_changes.save(applied)
    assert await store.identity_changes.get(pupil.pupil_id, change.change_id) == applied


async def test_erasure_nulls_every_identifying_detail_and_keeps_the_first_erasure_time(store):
    pupil = await registered(store)
    referral = referral_of(pupil)
    await store.referrals.save(referral)
    change = domain.IdentityChange(uuid4(), pupil.pupil_id, referral.referral_id, "la_officer:-:u",
                                   {"surname": "Example"}, {"surname": "Changed"})  # fmt: skip
    await store.identity_changes.save(change)
    command = ErasePupil(pupil.pupil_id, "request", "la_officer-user", "la_officer", "asked")

    erased = await store.pupils.erase(command)

    assert erased is not None
    assert set(domain.identifying_values(erased.held)) == {
        pupil.upn,
        "Alex",
        "Example",
        "Sam",
        "2012-03-04",
        "YO1 7HH",
    }
    assert await store.pupils.by_id(pupil.pupil_id) == domain.Pupil(
        pupil.pupil_id, None, dict.fromkeys(domain.IDENTITY_FIELDS)
    )
    assert await store.pupils.by_upn(pupil.upn) is None
    assert await store.identity_changes.get(pupil.pupil_id, change.change_id) is None
    assert await store.referrals.get(referral.referral_id) == referral  # the journey stays
    again = await store.pupils.erase(replace(command, basis="retention"))
    assert again is not None and again.erased_at == erased.erased_at
    assert await store.pupils.erase(replace(command, pupil_id=uuid4())) is None


async def test_a_upn_freed_by_erasure_can_be_registered_again(store):
    upn = check_letter("801" + "9" * 9) + "801" + "9" * 9
    first = await registered(store, upn)
    await store.pupils.erase(ErasePupil(first.pupil_id, "retention", "job", "system", "ended"))
    second = await registered(store, upn)
    found = await store.pupils.by_upn(upn)
    assert found is not None and found.pupil_id == second.pupil_id
