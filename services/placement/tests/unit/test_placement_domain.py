"""Placement rules and the cost rule: each shown rejecting and accepting. Pure."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from ap_chassis.errors import DomainError, InvalidCommandError, NotYetKnownError
from ap_placement import domain
from ap_placement.commands import EndPlacement
from ap_schemas.events import Commissioner, PlacementEndedV1

PROVIDER_ID = uuid4()

PLACEMENT = domain.Placement(
    placement_id=uuid4(),
    pupil_id=uuid4(),
    referral_id=uuid4(),
    provider_id=PROVIDER_ID,
    commissioner=Commissioner(kind="school", urn="123456"),
    tier=2,
    start_date=date(2026, 9, 14),
    planned_end_date=None,
    sessions_per_week=5,
    cost=None,
    annual_cost_pence=None,
    dual_registered=True,
    reason="suspension",
)


def ending(end_date: date, reason: str = "completed") -> EndPlacement:
    return EndPlacement(PLACEMENT.placement_id, end_date, reason)  # type: ignore[arg-type]


def referral(status: str) -> domain.ReferralFact:
    return domain.ReferralFact(
        referral_id=uuid4(), pupil_id=uuid4(), status=status, reason="suspension"
    )


# check_referral_placeable ---------------------------------------------------------------


def test_an_unheard_of_referral_is_not_yet_known():
    referral_id = uuid4()
    with pytest.raises(NotYetKnownError) as err:
        domain.check_referral_placeable(None, referral_id)
    assert err.value.field == "referral_id"
    assert str(referral_id) in err.value.detail


def test_an_undecided_referral_is_not_yet_known():
    fact = referral("received")
    with pytest.raises(NotYetKnownError) as err:
        domain.check_referral_placeable(fact, fact.referral_id)
    assert err.value.field == "referral_id"


@pytest.mark.parametrize("status", ["declined", "withdrawn"])
def test_a_declined_or_withdrawn_referral_is_a_rule_violation_not_a_retry(status):
    fact = referral(status)
    with pytest.raises(DomainError) as err:
        domain.check_referral_placeable(fact, fact.referral_id)
    assert not isinstance(err.value, NotYetKnownError)
    assert not isinstance(err.value, InvalidCommandError)
    assert type(err.value) is DomainError  # a plain rule violation (409)
    assert err.value.field == "referral_id"
    assert status in err.value.detail


def test_an_accepted_referral_is_placeable():
    fact = referral("accepted")
    assert domain.check_referral_placeable(fact, fact.referral_id) is fact


# check_provider -------------------------------------------------------------------------


def test_a_provider_needs_some_identifier():
    with pytest.raises(InvalidCommandError) as err:
        domain.check_provider(urn=None, ukprn=None, setting_type=None)
    assert err.value.field == "setting_type"
    with pytest.raises(InvalidCommandError):
        domain.check_provider(urn="", ukprn="", setting_type="")


@pytest.mark.parametrize(
    ("urn", "ukprn", "setting_type"),
    [("123456", None, None), (None, "10012345", None), (None, None, "OOT")],
)
def test_a_provider_with_a_urn_a_ukprn_or_a_setting_type_is_accepted(urn, ukprn, setting_type):
    assert domain.check_provider(urn=urn, ukprn=ukprn, setting_type=setting_type) is None


# check_new_placement --------------------------------------------------------------------


def test_a_pupil_with_an_open_placement_cannot_be_placed_again():
    with pytest.raises(DomainError) as err:
        domain.check_new_placement(
            open_placement=PLACEMENT, start_date=date(2026, 10, 1), planned_end_date=None
        )
    assert not isinstance(err.value, InvalidCommandError | NotYetKnownError)
    assert "open placement" in err.value.detail
    assert str(PLACEMENT.placement_id) not in err.value.detail  # it may be another's


def test_planned_end_cannot_precede_the_start():
    with pytest.raises(InvalidCommandError) as err:
        domain.check_new_placement(
            open_placement=None,
            start_date=date(2026, 9, 14),
            planned_end_date=date(2026, 9, 13),
        )
    assert err.value.field == "planned_end_date"


def test_a_new_placement_is_accepted():
    domain.check_new_placement(
        open_placement=None, start_date=date(2026, 9, 14), planned_end_date=date(2026, 9, 14)
    )
    domain.check_new_placement(
        open_placement=None, start_date=date(2026, 9, 14), planned_end_date=None
    )
    domain.check_new_placement(
        open_placement=None, start_date=date(2026, 9, 14), planned_end_date=date(2027, 3, 31)
    )


# end ------------------------------------------------------------------------------------


def test_an_ended_placement_cannot_end_again():
    ended = replace(PLACEMENT, end_date=date(2026, 12, 18), end_reason="completed")
    assert not ended.is_open
    with pytest.raises(DomainError) as err:
        domain.end(ended, ending(date(2027, 1, 8)))
    assert not isinstance(err.value, InvalidCommandError | NotYetKnownError)
    assert "already ended" in err.value.detail


def test_a_placement_cannot_end_before_it_started():
    with pytest.raises(InvalidCommandError) as err:
        domain.end(PLACEMENT, ending(date(2026, 9, 13)))
    assert err.value.field == "end_date"


def test_ending_a_placement_records_date_and_reason():
    ended, events = domain.end(PLACEMENT, ending(date(2027, 3, 31), "reintegrated"))
    assert (ended.end_date, ended.end_reason) == (date(2027, 3, 31), "reintegrated")
    assert events == [PlacementEndedV1(
        occurred_at=date(2027, 3, 31), pupil_id=PLACEMENT.pupil_id,
        placement_id=PLACEMENT.placement_id, end_date=date(2027, 3, 31), reason="reintegrated",
    )]  # fmt: skip
    assert not ended.is_open
    assert PLACEMENT.is_open  # the original is unchanged


def test_a_placement_may_end_on_its_start_day():
    ended, _ = domain.end(PLACEMENT, ending(PLACEMENT.start_date))
    assert ended.end_date == PLACEMENT.start_date


# annual_cost_pence ----------------------------------------------------------------------


def test_cost_per_session_is_times_sessions_times_39_weeks():
    # 6500p x 8 sessions x 39 weeks = 2,028,000p (GBP 20,280)
    assert domain.annual_cost_pence(amount_pence=6500, per="session", sessions_per_week=8) == (
        2_028_000
    )
    assert domain.annual_cost_pence(amount_pence=100, per="session", sessions_per_week=1) == 3900


def test_cost_per_week_is_times_39_weeks_regardless_of_sessions():
    # 25000p x 39 = 975,000p
    assert domain.annual_cost_pence(amount_pence=25000, per="week", sessions_per_week=8) == 975_000
    assert domain.annual_cost_pence(amount_pence=25000, per="week", sessions_per_week=2) == 975_000


def test_cost_per_term_is_times_3():
    # 400000p x 3 = 1,200,000p
    assert domain.annual_cost_pence(amount_pence=400_000, per="term", sessions_per_week=5) == (
        1_200_000
    )


def test_cost_per_year_is_as_given():
    assert domain.annual_cost_pence(amount_pence=1_500_000, per="year", sessions_per_week=10) == (
        1_500_000
    )


def test_an_unknown_cost_period_is_refused():
    with pytest.raises(ValueError, match="month"):
        domain.annual_cost_pence(amount_pence=1000, per="month", sessions_per_week=5)
