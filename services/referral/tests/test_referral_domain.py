"""Referral rules: each shown rejecting and accepting. Pure."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from ap_chassis.errors import DomainError, InvalidCommandError
from ap_referral import domain

REFERRAL = domain.Referral(
    referral_id=uuid4(),
    pupil_id=uuid4(),
    status="received",
    referrer_kind="school",
    referrer_urn="123456",
    reason="suspension",
    tier_requested=2,
    referred_on=date(2026, 9, 7),
    excluded_on=None,
    sen_provision="K",
    home_school_urn="123456",
)


def new(**kw):
    args = {
        "reason": "suspension",
        "referred_on": date(2026, 9, 7),
        "excluded_on": None,
        "sen_provision": "K",
    } | kw
    domain.check_new_referral(**args)


def test_permanent_exclusion_needs_the_exclusion_date():
    with pytest.raises(InvalidCommandError) as err:
        new(reason="permanent_exclusion")
    assert err.value.field == "excluded_on"
    new(reason="permanent_exclusion", excluded_on=date(2026, 9, 4))


def test_exclusion_cannot_follow_the_referral():
    with pytest.raises(InvalidCommandError):
        new(excluded_on=date(2026, 9, 8))
    new(excluded_on=date(2026, 9, 7))


def test_ehc_plan_named_needs_sen_provision_e():
    with pytest.raises(InvalidCommandError) as err:
        new(reason="ehc_plan_named", sen_provision="K")
    assert err.value.field == "sen_provision"
    new(reason="ehc_plan_named", sen_provision="E")


def test_sixth_school_day_skips_weekends():
    # Friday 4 Sept 2026 -> Mon 7 (1) ... Fri 11 (5), Mon 14 (6)
    assert domain.sixth_school_day(date(2026, 9, 4)) == date(2026, 9, 14)
    # Monday -> Tue(1) ... Fri(4), Mon(5), Tue(6)
    assert domain.sixth_school_day(date(2026, 9, 7)) == date(2026, 9, 15)


def test_accepting_a_received_referral():
    accepted = domain.decide(
        REFERRAL, decision="accepted", decided_on=date(2026, 9, 8), reason=None
    )
    assert accepted.status == "accepted" and accepted.decided_on == date(2026, 9, 8)


def test_a_second_decision_is_refused():
    declined = domain.decide(REFERRAL, decision="declined", decided_on=date(2026, 9, 8), reason="x")
    with pytest.raises(DomainError, match="already declined"):
        domain.decide(declined, decision="accepted", decided_on=date(2026, 9, 9), reason=None)


def test_decision_cannot_precede_the_referral():
    with pytest.raises(InvalidCommandError):
        domain.decide(REFERRAL, decision="accepted", decided_on=date(2026, 9, 6), reason=None)


def test_withdrawal_from_received_or_accepted_only():
    assert (
        domain.withdraw(REFERRAL, withdrawn_on=date(2026, 9, 9), reason="r").status == "withdrawn"
    )
    accepted = replace(REFERRAL, status="accepted")
    assert (
        domain.withdraw(accepted, withdrawn_on=date(2026, 9, 9), reason="r").status == "withdrawn"
    )
    for status in ("declined", "withdrawn"):
        with pytest.raises(DomainError):
            domain.withdraw(
                replace(REFERRAL, status=status), withdrawn_on=date(2026, 9, 9), reason="r"
            )


def test_withdrawal_cannot_precede_the_referral():
    with pytest.raises(InvalidCommandError):
        domain.withdraw(REFERRAL, withdrawn_on=date(2026, 9, 1), reason="r")


def test_an_identity_difference_names_only_changed_fields_as_json():
    current = {"surname": "Original", "date_of_birth": date(2012, 3, 4), "postcode": "YO1 7HH",
               "periods": [{"start": "2025-09-01"}]}  # fmt: skip
    proposed = {"surname": "Changed", "date_of_birth": date(2012, 3, 4), "postcode": "YO1 7HH",
                "periods": [{"start": date(2025, 9, 1)}]}  # fmt: skip
    assert domain.identity_difference(current, proposed) == (
        {"surname": "Original"},
        {"surname": "Changed"},
    )
    assert domain.identity_difference(current, current) == ({}, {})


def test_an_identity_change_applies_once_and_only_to_the_register_it_was_proposed_against():
    current = {"surname": "Original", "date_of_birth": date(2012, 3, 4)}
    domain.check_identity_change_applicable(
        status="proposed", old={"surname": "Original"}, current=current
    )
    with pytest.raises(DomainError):
        domain.check_identity_change_applicable(
            status="applied", old={"surname": "Original"}, current=current
        )
    with pytest.raises(DomainError):
        domain.check_identity_change_applicable(
            status="proposed", old={"surname": "Someone"}, current=current
        )


def test_sixth_school_day_uses_term_dates_and_bank_holidays():
    # Fri 23 Oct 2026, before autumn half term: Nov 2..6 (5), Mon 9 (6)
    assert domain.sixth_school_day(date(2026, 10, 23)) == date(2026, 11, 9)
    # Thu 30 Apr 2026: Fri 1 May (1), Mon 4 is a bank holiday, Tue 5..Fri 8 (5), Mon 11 (6)
    assert domain.sixth_school_day(date(2026, 4, 30)) == date(2026, 5, 11)
