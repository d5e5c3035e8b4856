"""Provider approval, capacity and contract rules. Pure."""

import itertools
from datetime import date, timedelta
from uuid import uuid4

import pytest
from ap_chassis.errors import DomainError, InvalidCommandError
from ap_placement import provider_quality as q

ON = date(2026, 9, 14)
REQUIRED = q.required_checks()
# How a check can stand on the day: current, or lapsed in one of three ways.
STATES = ("current", "expired", "failed", "missing")


def records_for(check: str, state: str) -> list[q.CheckRecord]:
    """Records that leave `check` in `state` on ON, the latest record deciding."""
    year_ago = ON - timedelta(days=365)
    passing = "approved" if check == "qa_visit" else "passed"
    failing = "not_approved" if check == "qa_visit" else "failed"
    if state == "missing":
        # a check made only after the day does not count yet
        return [q.CheckRecord(check, ON + timedelta(days=1), ON + timedelta(days=300), passing)]
    if state == "expired":
        return [q.CheckRecord(check, year_ago, ON - timedelta(days=1), passing)]
    if state == "failed":
        # an earlier pass is superseded by a later failure
        return [
            q.CheckRecord(check, year_ago, ON + timedelta(days=100), passing, seq=1),
            q.CheckRecord(check, ON - timedelta(days=3), ON + timedelta(days=100), failing, seq=2),
        ]
    # current: a failure superseded by a later pass, expiring on the day itself
    return [
        q.CheckRecord(check, year_ago, ON + timedelta(days=100), failing, seq=1),
        q.CheckRecord(check, ON - timedelta(days=10), ON, passing, seq=2),
    ]


def test_the_required_checks_come_from_the_data_file():
    assert set(REQUIRED) == {
        "safeguarding", "health_and_safety", "insurance", "qualifications", "curriculum",
        "qa_visit",
    }  # fmt: skip


@pytest.mark.parametrize(
    "current", list(itertools.product([True, False], repeat=len(REQUIRED))),
    ids=lambda c: "".join("C" if x else "L" for x in c),
)  # fmt: skip
@pytest.mark.parametrize("lapse", ["expired", "failed", "missing"])
def test_approved_only_when_every_required_check_is_current(current, lapse):
    states = {
        check: "current" if ok else lapse for check, ok in zip(REQUIRED, current, strict=True)
    }
    records = [r for check, state in states.items() for r in records_for(check, state)]
    approval = q.approval(records, ON)
    assert approval.approved is all(current)
    assert approval.lapsed_checks == tuple(
        c for c, ok in zip(REQUIRED, current, strict=True) if not ok
    )
    assert approval.checks == states


def test_same_day_checks_are_ordered_by_when_they_were_recorded():
    first = q.CheckRecord("insurance", ON, ON + timedelta(days=30), "passed", seq=1)
    second = q.CheckRecord("insurance", ON, ON + timedelta(days=30), "failed", seq=2)
    assert q.check_status([second, first], ON) == "failed"
    assert q.check_status([first], ON) == "current"


def test_a_check_that_expires_before_it_was_made_names_expires_on():
    with pytest.raises(InvalidCommandError) as err:
        q.validate_check(
            check="insurance", checked_on=ON, expires_on=ON - timedelta(days=1),
            outcome="passed", officer_id=None,
        )  # fmt: skip
    assert err.value.field == "expires_on"
    q.validate_check(
        check="insurance", checked_on=ON, expires_on=ON, outcome="passed", officer_id=None
    )


def test_qa_outcomes_belong_to_qa_visits_and_a_visit_may_omit_its_officer():
    with pytest.raises(InvalidCommandError) as err:
        q.validate_check(
            check="safeguarding", checked_on=ON, expires_on=ON, outcome="approved",
            officer_id=None,
        )  # fmt: skip
    assert err.value.field == "outcome"
    q.validate_check(  # recorded: the officer's id is optional in the published contract
        check="qa_visit", checked_on=ON, expires_on=ON, outcome="approved", officer_id=None
    )
    q.validate_check(
        check="qa_visit", checked_on=ON, expires_on=ON, outcome="approved_with_conditions",
        officer_id="officer-7",
    )  # fmt: skip


LAPSED = q.Approval(approved=False, lapsed_checks=("insurance", "qa_visit"))
APPROVED = q.Approval(approved=True, lapsed_checks=())


def test_enforce_refuses_an_unapproved_provider_naming_the_lapsed_checks():
    pid = uuid4()
    with pytest.raises(DomainError) as err:
        q.vet_approval(LAPSED, provider_id=pid, mode="enforce", override_reason=None)
    assert type(err.value) is DomainError  # a plain rule violation (409)
    assert err.value.field == "provider_id"
    assert "insurance, qa_visit" in err.value.detail


def test_an_override_reason_lets_an_unapproved_provider_through_under_enforce():
    pid = uuid4()
    warnings, overridden = q.vet_approval(
        LAPSED, provider_id=pid, mode="enforce", override_reason="urgent"
    )
    assert overridden and "insurance" in warnings[0] and "(overridden)" in warnings[0]


def test_warn_places_with_a_warning_and_an_approved_provider_has_none():
    pid = uuid4()
    warnings, overridden = q.vet_approval(
        LAPSED, provider_id=pid, mode="warn", override_reason=None
    )
    assert not overridden and len(warnings) == 1 and "qa_visit" in warnings[0]
    for mode in ("warn", "enforce"):
        assert q.vet_approval(
            APPROVED, provider_id=pid, mode=mode, override_reason="not needed"
        ) == ([], False)


def test_places_offered_take_the_latest_figure_in_force_per_phase():
    capacity = [
        q.Capacity(2, "secondary", 10, date(2026, 1, 1)),
        q.Capacity(2, "secondary", 6, date(2026, 9, 1)),
        q.Capacity(2, "primary", 4, date(2026, 9, 1)),
        q.Capacity(2, "primary", 9, date(2026, 10, 1)),  # not yet in force on ON
        q.Capacity(3, "secondary", 50, date(2026, 1, 1)),
    ]
    assert q.places_offered(capacity, tier=2, phase="secondary", on=ON) == 6
    assert q.places_offered(capacity, tier=2, phase=None, on=ON) == 10
    assert q.places_offered(capacity, tier=1, phase=None, on=ON) is None
    assert q.capacity_warning(places=6, in_use=6) is None
    assert "7 placements for 6 places" in (q.capacity_warning(places=6, in_use=7) or "")
    assert q.capacity_warning(places=None, in_use=99) is None


def contract(tier: int, starts: date, ends: date) -> q.Contract:
    return q.Contract(uuid4(), tier, starts, ends, 9500, "session")


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        (date(2027, 8, 31), date(2027, 12, 31), "starts_on"),  # touches the last day
        (date(2026, 1, 1), date(2026, 9, 1), "starts_on"),  # touches the first day
        (date(2026, 10, 1), date(2026, 11, 1), "starts_on"),  # inside
        (date(2027, 1, 1), date(2026, 1, 1), "ends_on"),  # backwards
    ],
)
def test_a_contract_overlapping_another_for_the_tier_is_refused(starts, ends, field):
    existing = [contract(2, date(2026, 9, 1), date(2027, 8, 31))]
    with pytest.raises(InvalidCommandError) as err:
        q.check_contract(tier=2, starts_on=starts, ends_on=ends, existing=existing)
    assert err.value.field == field


def test_contracts_for_other_tiers_or_periods_do_not_overlap_and_set_the_cost():
    existing = [contract(2, date(2026, 9, 1), date(2027, 8, 31))]
    q.check_contract(
        tier=3, starts_on=date(2026, 9, 1), ends_on=date(2027, 8, 31), existing=existing
    )
    q.check_contract(
        tier=2, starts_on=date(2027, 9, 1), ends_on=date(2028, 8, 31), existing=existing
    )
    assert q.contracted_cost(existing, tier=2, on=ON) == existing[0]
    assert q.contracted_cost(existing, tier=2, on=date(2027, 9, 1)) is None
    assert q.contracted_cost(existing, tier=3, on=ON) is None


def test_an_unknown_judgement_code_names_the_field():
    codes = {"eif_2019:2": "Good"}
    assert q.validate_judgement("eif_2019:2", codes) == "Good"
    with pytest.raises(InvalidCommandError) as err:
        q.validate_judgement("great", codes)
    assert err.value.field == "judgement"


def test_a_qa_visit_without_its_officer_is_a_query_not_a_lapse():
    visit = q.CheckRecord("qa_visit", ON, ON + timedelta(days=90), "approved", seq=1)
    state = q.approval([visit], ON)
    assert state.checks["qa_visit"] == "current" and "qa_visit" not in state.lapsed_checks
    [query] = state.queries
    assert (query.check, query.field) == ("qa_visit", "officer_id")
    named = q.CheckRecord("qa_visit", ON, ON + timedelta(days=90), "approved", seq=2,
                          officer_id="officer-7")  # fmt: skip
    assert q.approval([visit, named], ON).queries == (), "the latest visit names its officer"
