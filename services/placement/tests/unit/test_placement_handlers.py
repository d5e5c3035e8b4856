"""Every placement handler on the in-memory unit of work: the events it records, the state it
saves, its result, and each refusal. No I/O: the whole file runs in well under a second."""

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from ap_chassis.auth import Principal
from ap_chassis.errors import (
    DomainError,
    ForbiddenError,
    InvalidCommandError,
    NotFoundError,
    NotYetKnownError,
)
from ap_chassis.http import nothing_to_load
from ap_placement import handlers, provider_handlers
from ap_placement.commands import (
    AgreeContract,
    ChangeRegistration,
    EndPlacement,
    PlacePupil,
    RecordCheck,
    RecordInspection,
    RegisterProvider,
    SetCapacity,
)
from ap_placement.domain import ReferralFact
from ap_placement.provider_quality import required_checks
from ap_schemas.events import (
    Commissioner,
    Cost,
    PlacementEndedV1,
    ProviderApprovalOverriddenV1,
    ProviderCapacityExceededV1,
    ProviderCapacitySetV1,
    ProviderCheckRecordedV1,
    ProviderContractAgreedV1,
    ProviderInspectedV1,
    ProviderRegisteredV1,
    ProviderRegistrationChangedV1,
    PupilPlacedV1,
    PupilPlacedV2,
)

LA = Principal(sub="officer", role="la_officer")
SCHOOL_URN, OTHER_URN = "100001", "200002"
SCHOOL = Principal(sub="head", role="school", urn=SCHOOL_URN)
START = date(2026, 9, 14)
COST = Cost(amount_pence=6500, per="session")


AUTHORIZE: dict[Any, Callable[..., Awaitable[Any]]] = {
    handlers.place_pupil: handlers.authorize_placement,
    handlers.end_placement: handlers.authorize_end,
}
"""The access step each route runs before its use case; the others' role check is all."""


async def run(
    uow: Any, handler: Callable[..., Awaitable[Any]], cmd: Any, who: Principal = LA
) -> Any:
    """One command in its own unit of work, its access step then its use case, committed as a
    command route would; its result."""
    async with uow:
        loaded = await AUTHORIZE.get(handler, nothing_to_load)(uow, cmd, who)
        result = await handler(uow, cmd, loaded)
        await uow.commit()
    return result


async def provider(uow: Any, **fields: Any) -> UUID:
    cmd = RegisterProvider(**{"name": "Bridge AP", "urn": "123456", "ukprn": None,
                              "setting_type": None, "registered": True, **fields})  # fmt: skip
    result = await run(uow.fresh(), handlers.register_provider, cmd)
    return UUID(str(result.provider_id))


async def referral(
    uow: Any, status: str = "accepted", referrer: str | None = SCHOOL_URN
) -> ReferralFact:
    fact = ReferralFact(uuid4(), uuid4(), status, "suspension", referrer)
    await uow.placements.record_referral(fact)
    return fact


def placing(fact: ReferralFact, provider_id: UUID, **fields: Any) -> PlacePupil:
    values: dict[str, Any] = {
        "referral_id": fact.referral_id, "provider_id": provider_id,
        "commissioner": Commissioner(kind="local_authority", urn=None), "tier": 2,
        "start_date": START, "planned_end_date": None, "sessions_per_week": 8, "cost": COST,
        "dual_registered": True, **fields,
    }  # fmt: skip
    return PlacePupil(**values)


async def all_checks_current(uow: Any, provider_id: UUID, skip: str = "") -> None:
    for check in required_checks():
        if check != skip:
            await run(uow.fresh(), provider_handlers.record_check, RecordCheck(
                provider_id, check, START - timedelta(days=30), START + timedelta(days=300),
                "approved" if check == "qa_visit" else "passed",
                "officer-1" if check == "qa_visit" else None,  # type: ignore[arg-type]
            ))  # fmt: skip


# register_provider ---------------------------------------------------------------------


async def test_registering_a_provider_saves_it_and_records_its_event(uow):
    cmd = RegisterProvider("Bridge AP", None, "10012345", None, registered=False, state_ap=True)
    result = await run(uow, handlers.register_provider, cmd)
    saved = uow.providers.rows[result.provider_id]
    assert (saved.name, saved.ukprn, saved.registered, saved.state_ap) == (
        "Bridge AP",
        "10012345",
        False,
        True,
    )
    [event] = uow.event_data
    assert isinstance(event, ProviderRegisteredV1)
    assert (event.provider_id, event.ukprn, event.state_ap) == (
        result.provider_id,
        "10012345",
        True,
    )
    assert result.event_ids == [str(uow.events[0].id)]


async def test_a_provider_without_any_identifier_is_refused_and_nothing_saved(uow):
    with pytest.raises(InvalidCommandError) as err:
        await run(uow, handlers.register_provider, RegisterProvider("X", None, None, None, True))
    assert err.value.field == "setting_type"
    assert uow.providers.rows == {} and uow.events == []


# authorize_placement -------------------------------------------------------------------


async def test_a_school_commissions_only_as_itself(uow):
    fact = await referral(uow)
    other = placing(fact, uuid4(), commissioner=Commissioner(kind="school", urn=OTHER_URN))
    with pytest.raises(ForbiddenError):
        await handlers.authorize_placement(uow, other, SCHOOL)
    own = placing(fact, uuid4(), commissioner=Commissioner(kind="school", urn=SCHOOL_URN))
    await handlers.authorize_placement(uow, own, SCHOOL)


async def test_a_school_cannot_know_a_referral_it_did_not_make(uow):
    fact = await referral(uow, referrer=OTHER_URN)
    cmd = placing(fact, uuid4(), commissioner=Commissioner(kind="school", urn=SCHOOL_URN))
    with pytest.raises(NotFoundError):
        await handlers.authorize_placement(uow, cmd, SCHOOL)


async def test_placing_checks_the_referrer_again_in_case_the_referral_arrived_since(uow):
    provider_id, fact = await provider(uow), await referral(uow, referrer=OTHER_URN)
    cmd = placing(fact, provider_id, commissioner=Commissioner(kind="school", urn=SCHOOL_URN))
    with pytest.raises(NotFoundError):
        await run(uow, handlers.place_pupil, cmd, SCHOOL)
    assert uow.placements.rows == {} and uow.events == []


async def test_only_an_officer_may_give_an_override_reason(uow):
    fact = await referral(uow)
    cmd = placing(fact, uuid4(), commissioner=Commissioner(kind="school", urn=SCHOOL_URN),
                  override_reason="we are sure")  # fmt: skip
    with pytest.raises(ForbiddenError) as err:
        await handlers.authorize_placement(uow, cmd, SCHOOL)
    assert err.value.field == "override_reason"
    await handlers.authorize_placement(uow, cmd, LA)


# place_pupil ---------------------------------------------------------------------------


async def test_placing_with_a_known_cost_saves_the_placement_and_records_v1(uow):
    provider_id, fact = await provider(uow), await referral(uow)
    await all_checks_current(uow, provider_id)
    result = await run(uow, handlers.place_pupil, placing(fact, provider_id))
    saved = uow.placements.rows[result.placement_id]
    assert (saved.pupil_id, saved.cost, saved.annual_cost_pence) == (fact.pupil_id, COST, 2_028_000)
    assert (saved.reason, saved.funded_by, saved.is_open) == ("suspension", "local_authority", True)
    [event] = uow.event_data
    assert isinstance(event, PupilPlacedV1)
    assert (event.placement_id, event.annual_cost_pence) == (result.placement_id, 2_028_000)
    assert (result.pupil_id, result.warnings) == (fact.pupil_id, [])
    assert uow.placements.locked == [fact.pupil_id]


async def test_without_a_cost_the_contract_s_applies_and_without_one_it_is_v2(uow):
    provider_id = await provider(uow)
    await all_checks_current(uow, provider_id)
    fact = await referral(uow)
    result = await run(uow.fresh(), handlers.place_pupil, placing(fact, provider_id, cost=None))
    assert result.annual_cost_pence is None
    assert uow.placements.rows[result.placement_id].cost is None
    await run(uow.fresh(), provider_handlers.agree_contract, AgreeContract(
        provider_id, 2, START, START + timedelta(days=300), Cost(amount_pence=25_000, per="week")
    ))  # fmt: skip
    second = await referral(uow)
    contracted = await run(uow, handlers.place_pupil, placing(second, provider_id, cost=None))
    assert contracted.annual_cost_pence == 25_000 * 39
    [event] = uow.event_data
    assert isinstance(event, PupilPlacedV1) and event.cost.per == "week"


async def test_an_unknown_cost_is_a_v2_event(uow):
    provider_id, fact = await provider(uow), await referral(uow)
    await all_checks_current(uow, provider_id)
    await run(uow, handlers.place_pupil, placing(fact, provider_id, cost=None))
    [event] = uow.event_data
    assert isinstance(event, PupilPlacedV2) and event.cost is None


@pytest.mark.parametrize(("status", "error"), [
    (None, NotYetKnownError), ("received", NotYetKnownError), ("declined", DomainError),
    ("withdrawn", DomainError),
])  # fmt: skip
async def test_only_an_accepted_referral_is_placed(uow, status, error):
    provider_id = await provider(uow)
    fact = await referral(uow, status or "accepted")
    if status is None:
        fact = ReferralFact(uuid4(), uuid4(), "accepted", None)  # never heard of
    with pytest.raises(error) as err:
        await run(uow, handlers.place_pupil, placing(fact, provider_id))
    assert err.value.field == "referral_id"
    assert uow.placements.rows == {} and uow.events == []


async def test_an_unknown_provider_is_404(uow):
    fact = await referral(uow)
    with pytest.raises(NotFoundError) as err:
        await run(uow, handlers.place_pupil, placing(fact, uuid4()))
    assert err.value.field == "provider_id"


async def test_a_pupil_with_an_open_placement_is_not_placed_again(uow):
    provider_id, fact = await provider(uow), await referral(uow)
    await run(uow.fresh(), handlers.place_pupil, placing(fact, provider_id))
    with pytest.raises(DomainError) as err:
        await run(uow, handlers.place_pupil, placing(fact, provider_id))
    assert "open placement" in err.value.detail
    assert len(uow.placements.rows) == 1 and uow.events == []


async def test_a_planned_end_before_the_start_is_refused(uow):
    provider_id, fact = await provider(uow), await referral(uow)
    cmd = placing(fact, provider_id, planned_end_date=START - timedelta(days=1))
    with pytest.raises(InvalidCommandError) as err:
        await run(uow, handlers.place_pupil, cmd)
    assert err.value.field == "planned_end_date"


async def test_enforce_refuses_an_unapproved_provider_and_warn_warns(uow):
    provider_id = await provider(uow)
    await all_checks_current(uow, provider_id, skip="insurance")
    with pytest.raises(DomainError) as err:
        await run(uow.fresh(), handlers.place_pupil,
                  placing(await referral(uow), provider_id, approval_mode="enforce"))  # fmt: skip
    assert err.value.field == "provider_id" and "insurance" in err.value.detail
    result = await run(uow, handlers.place_pupil, placing(await referral(uow), provider_id))
    assert len(result.warnings) == 1 and "insurance" in result.warnings[0]
    assert [type(e) for e in uow.event_data] == [PupilPlacedV1]


async def test_an_override_places_and_records_the_override(uow):
    provider_id = await provider(uow)
    await all_checks_current(uow, provider_id, skip="insurance")
    cmd = placing(await referral(uow), provider_id, approval_mode="enforce",
                  override_reason="certificate to follow")  # fmt: skip
    result = await run(uow, handlers.place_pupil, cmd)
    placed, override = uow.event_data
    assert isinstance(placed, PupilPlacedV1) and isinstance(override, ProviderApprovalOverriddenV1)
    assert (override.placement_id, override.lapsed_checks) == (result.placement_id, ["insurance"])
    assert override.reason == "certificate to follow"
    assert result.event_ids == [str(e.id) for e in uow.events]


async def test_beyond_capacity_places_with_a_warning_and_an_event(uow):
    provider_id = await provider(uow)
    await all_checks_current(uow, provider_id)
    await run(uow.fresh(), provider_handlers.set_capacity,
              SetCapacity(provider_id, 2, "secondary", 1, START))  # fmt: skip
    first = placing(await referral(uow), provider_id, phase="secondary")
    await run(uow.fresh(), handlers.place_pupil, first)
    second = placing(await referral(uow), provider_id, phase="secondary")
    result = await run(uow, handlers.place_pupil, second)
    assert result.warnings == ["beyond capacity: 2 placements for 1 places offered"]
    _, exceeded = uow.event_data
    assert isinstance(exceeded, ProviderCapacityExceededV1)
    assert (exceeded.places, exceeded.in_use, exceeded.phase) == (1, 2, "secondary")


# end_placement -------------------------------------------------------------------------


async def placed(uow: Any, referrer: str = SCHOOL_URN, **fields: Any) -> UUID:
    provider_id, fact = await provider(uow), await referral(uow, referrer=referrer)
    result = await run(uow.fresh(), handlers.place_pupil, placing(fact, provider_id, **fields))
    return UUID(str(result.placement_id))


async def test_ending_saves_the_end_and_records_its_event(uow):
    placement_id = await placed(uow)
    end = EndPlacement(placement_id, START + timedelta(days=90), "reintegrated")
    result = await run(uow, handlers.end_placement, end)
    saved = uow.placements.rows[placement_id]
    assert (saved.end_date, saved.end_reason) == (end.end_date, "reintegrated")
    [event] = uow.event_data
    assert isinstance(event, PlacementEndedV1)
    assert (event.placement_id, event.pupil_id, event.end_date) == (
        placement_id,
        saved.pupil_id,
        end.end_date,
    )
    assert (result.status, result.pupil_id) == ("ended", saved.pupil_id)


async def test_an_unknown_or_unseen_placement_is_404_and_a_known_one_ends_once(uow):
    with pytest.raises(NotFoundError):
        await handlers.authorize_end(uow, EndPlacement(uuid4(), START, "completed"), LA)
    la_placement = await placed(uow)  # commissioned by the LA: no school's
    with pytest.raises(NotFoundError):
        await handlers.authorize_end(uow, EndPlacement(la_placement, START, "completed"), SCHOOL)
    await run(uow.fresh(), handlers.end_placement, EndPlacement(la_placement, START, "completed"))
    with pytest.raises(DomainError) as err:
        await run(uow, handlers.end_placement, EndPlacement(la_placement, START, "completed"))
    assert "already ended" in err.value.detail and uow.events == []


async def test_a_school_ends_what_it_commissioned(uow):
    mine = await placed(uow, commissioner=Commissioner(kind="school", urn=SCHOOL_URN))
    cmd = EndPlacement(mine, START, "completed")
    await handlers.authorize_end(uow, cmd, SCHOOL)
    await run(uow, handlers.end_placement, cmd, SCHOOL)
    assert not uow.placements.rows[mine].is_open


async def test_an_end_before_the_start_is_refused(uow):
    placement_id = await placed(uow)
    with pytest.raises(InvalidCommandError) as err:
        await run(uow, handlers.end_placement,
                  EndPlacement(placement_id, START - timedelta(days=1), "completed"))  # fmt: skip
    assert err.value.field == "end_date" and uow.placements.rows[placement_id].is_open


# provider quality ----------------------------------------------------------------------


async def test_a_check_is_saved_recorded_and_answers_the_approval_today(uow):
    provider_id = await provider(uow)
    cmd = RecordCheck(provider_id, "insurance", START, START + timedelta(days=365), "passed")
    result = await run(uow, provider_handlers.record_check, cmd)
    [saved] = uow.providers.check_rows[provider_id]
    assert (saved.check, saved.check_id) == ("insurance", result.check_id)
    [event] = uow.event_data
    assert isinstance(event, ProviderCheckRecordedV1) and event.check_id == result.check_id
    assert result.approved is False and "insurance" not in result.lapsed_checks


async def test_a_check_on_an_unknown_provider_is_404_and_a_bad_one_names_its_field(uow):
    bad = RecordCheck(uuid4(), "insurance", START, START, "passed")
    with pytest.raises(NotFoundError):
        await run(uow.fresh(), provider_handlers.record_check, bad)
    provider_id = await provider(uow)
    with pytest.raises(InvalidCommandError) as err:
        await run(uow, provider_handlers.record_check, RecordCheck(
            provider_id, "insurance", START, START - timedelta(days=1), "passed"
        ))  # fmt: skip
    assert err.value.field == "expires_on" and uow.providers.check_rows == {}


async def test_an_inspection_is_saved_with_its_judgement_s_wording(uow):
    provider_id = await provider(uow)
    cmd = RecordInspection(provider_id, START, "eif_2019:2", "123456", START + timedelta(days=20))
    result = await run(uow, provider_handlers.record_inspection, cmd)
    assert result.judgement_text.startswith("Good")
    saved = await uow.providers.latest_inspection(provider_id)
    assert saved.judgement_text == result.judgement_text
    [event] = uow.event_data
    assert isinstance(event, ProviderInspectedV1) and event.judgement_text == result.judgement_text


@pytest.mark.parametrize(("judgement", "published", "field"), [
    ("eif_2019:9", None, "judgement"), ("eif_2019:2", START - timedelta(days=1), "published_on"),
])  # fmt: skip
async def test_a_bad_inspection_names_its_field(uow, judgement, published, field):
    provider_id = await provider(uow)
    cmd = RecordInspection(provider_id, START, judgement, published_on=published)
    with pytest.raises(InvalidCommandError) as err:
        await run(uow, provider_handlers.record_inspection, cmd)
    assert err.value.field == field and uow.providers.inspections == {}


async def test_capacity_is_set_and_a_later_figure_for_the_same_day_replaces_it(uow):
    provider_id = await provider(uow)
    await run(uow.fresh(), provider_handlers.set_capacity,
              SetCapacity(provider_id, 2, "primary", 4, START))  # fmt: skip
    result = await run(uow, provider_handlers.set_capacity,
                       SetCapacity(provider_id, 2, "primary", 6, START))  # fmt: skip
    [held] = await uow.providers.capacity(provider_id)
    assert held.places == 6 and result.provider_id == provider_id
    [event] = uow.event_data
    assert isinstance(event, ProviderCapacitySetV1) and event.places == 6


async def test_a_contract_is_saved_and_an_overlapping_one_refused(uow):
    provider_id = await provider(uow)
    first = AgreeContract(provider_id, 2, START, START + timedelta(days=100), COST)
    result = await run(uow, provider_handlers.agree_contract, first)
    [saved] = await uow.providers.contracts(provider_id)
    assert saved.contract_id == result.contract_id and saved.amount_pence == 6500
    [event] = uow.event_data
    assert isinstance(event, ProviderContractAgreedV1) and event.cost == COST
    overlapping = AgreeContract(provider_id, 2, START + timedelta(days=50),
                                START + timedelta(days=200), COST)  # fmt: skip
    with pytest.raises(InvalidCommandError) as err:
        await run(uow.fresh(), provider_handlers.agree_contract, overlapping)
    assert err.value.field == "starts_on"
    assert len(await uow.providers.contracts(provider_id)) == 1


async def test_a_registration_change_applies_unless_an_later_one_is_held(uow):
    provider_id = await provider(uow, urn=None, ukprn="10012345", registered=False)
    cmd = ChangeRegistration(provider_id, True, START, "654321")
    result = await run(uow, provider_handlers.change_registration, cmd)
    assert (result.registered, result.ofsted_urn) == (True, "654321")
    [event] = uow.event_data
    assert isinstance(event, ProviderRegistrationChangedV1) and event.ofsted_urn == "654321"
    earlier = ChangeRegistration(provider_id, False, START - timedelta(days=10))
    await run(uow.fresh(), provider_handlers.change_registration, earlier)
    held = uow.providers.rows[provider_id]
    assert (held.registered, held.urn, held.registration_changed_on) == (True, "654321", START)


async def test_registered_needs_an_ofsted_urn(uow):
    provider_id = await provider(uow)
    with pytest.raises(InvalidCommandError) as err:
        await run(uow, provider_handlers.change_registration,
                  ChangeRegistration(provider_id, True, START))  # fmt: skip
    assert err.value.field == "ofsted_urn" and uow.events == []


# school-arranged AP --------------------------------------------------------------------

AS_SCHOOL = Commissioner(kind="school", urn=SCHOOL_URN)


async def arranged(uow: Any, by: str = SCHOOL_URN) -> ReferralFact:
    fact = ReferralFact(uuid4(), uuid4(), "accepted", "suspension", by, "school_arranged")
    await uow.placements.record_referral(fact)
    return fact


async def place_as(uow: Any, cmd: PlacePupil, who: Principal) -> Any:
    return await run(uow, handlers.place_pupil, cmd, who)


async def test_school_arranged_ap_is_placed_by_its_school_with_its_notice(uow):
    provider_id, fact = await provider(uow), await arranged(uow)
    cmd = placing(fact, provider_id, commissioner=AS_SCHOOL,
                  notice_given_on=START - timedelta(days=4), off_site_direction=True)  # fmt: skip
    result = await place_as(uow, cmd, SCHOOL)
    [placed] = [e.data for e in uow.events if isinstance(e.data, PupilPlacedV1)]
    assert (placed.commissioner, placed.notice_given_on, placed.off_site_direction) == (
        AS_SCHOOL, START - timedelta(days=4), True)  # fmt: skip
    assert not [w for w in result.warnings if "notice" in w]
    saved = uow.placements.rows[result.placement_id]
    assert (saved.notice_given_on, saved.off_site_direction) == (START - timedelta(days=4), True)


async def test_late_notice_is_recorded_and_warned_never_refused(uow):
    provider_id, fact = await provider(uow), await arranged(uow)
    late = START + timedelta(days=1)  # given the day after the start (Mon 14 Sep 2026)
    cmd = placing(fact, provider_id, commissioner=AS_SCHOOL, notice_given_on=late)
    result = await place_as(uow, cmd, SCHOOL)
    [warning] = [w for w in result.warnings if w.startswith("notice given late")]
    assert late.isoformat() in warning and START.isoformat() in warning
    assert uow.placements.rows[result.placement_id].notice_given_on == late


@pytest.mark.parametrize(
    ("who", "commissioner", "refused"),
    [
        (LA, Commissioner(kind="local_authority", urn=None), ForbiddenError),
        (LA, Commissioner(kind="school", urn=OTHER_URN), ForbiddenError),
        (SCHOOL, Commissioner(kind="local_authority", urn=None), ForbiddenError),
        (Principal(sub="x", role="school", urn=OTHER_URN),
         Commissioner(kind="school", urn=OTHER_URN), NotFoundError),
    ],
    ids=["under-the-la", "la-for-another-school", "school-as-the-la", "another-schools-pupil"],
)  # fmt: skip
async def test_school_arranged_ap_is_commissioned_by_its_arranger_alone(
    uow, who, commissioner, refused
):
    provider_id, fact = await provider(uow), await arranged(uow)
    with pytest.raises(refused):
        await place_as(uow, placing(fact, provider_id, commissioner=commissioner), who)
    assert uow.placements.rows == {}


async def test_the_la_records_school_arranged_ap_on_the_schools_behalf(uow):
    provider_id, fact = await provider(uow), await arranged(uow)
    result = await place_as(uow, placing(fact, provider_id, commissioner=AS_SCHOOL), LA)
    assert uow.placements.rows[result.placement_id].commissioner == AS_SCHOOL


async def test_the_409_names_the_open_placement_to_who_may_read_it(uow):
    provider_id, first = await provider(uow), await arranged(uow)
    held = await place_as(uow.fresh(), placing(first, provider_id, commissioner=AS_SCHOOL), SCHOOL)
    again = ReferralFact(uuid4(), first.pupil_id, "accepted", "suspension", SCHOOL_URN,
                         "school_arranged")  # fmt: skip
    await uow.placements.record_referral(again)
    with pytest.raises(DomainError) as err:
        await place_as(uow, placing(again, provider_id, commissioner=AS_SCHOOL), SCHOOL)
    assert str(held.placement_id) in err.value.detail


async def test_the_409_does_not_name_another_commissioners_placement(uow):
    provider_id, first = await provider(uow), await referral(uow)
    held = await run(uow.fresh(), handlers.place_pupil, placing(first, provider_id))  # the LA's
    mine = ReferralFact(uuid4(), first.pupil_id, "accepted", "suspension", SCHOOL_URN,
                        "school_arranged")  # fmt: skip
    await uow.placements.record_referral(mine)
    with pytest.raises(DomainError) as err:
        await place_as(uow, placing(mine, provider_id, commissioner=AS_SCHOOL), SCHOOL)
    assert "another commissioner" in err.value.detail
    assert str(held.placement_id) not in err.value.detail
