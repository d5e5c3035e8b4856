"""Referral rules: each shown rejecting and accepting. Pure."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from ap_chassis.errors import DomainError, InvalidCommandError
from ap_referral import domain
from ap_referral.commands import DecideReferral, Identity, ReferPupil, WithdrawReferral
from ap_schemas.events import Referrer

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


def new(sen_provision="K", **kw):
    identity = Identity(forename="A", surname="B", date_of_birth=date(2012, 3, 4), sex="U",
                        sen_provision=sen_provision)  # fmt: skip
    args = {
        "upn": "A801200001001",
        "identity": identity,
        "referrer": Referrer(kind="local_authority"),
        "reason": "suspension",
        "tier_requested": 2,
        "referred_on": date(2026, 9, 7),
        "excluded_on": None,
    } | kw
    domain.check_new_referral(ReferPupil(**args))


def decide(referral, decision, decided_on, reason=None):
    return domain.decide(
        referral, DecideReferral(referral.referral_id, decision, decided_on, reason)
    )


def withdraw(referral, withdrawn_on, reason="r"):
    return domain.withdraw(referral, WithdrawReferral(referral.referral_id, withdrawn_on, reason))


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
    accepted, [event] = decide(REFERRAL, "accepted", date(2026, 9, 8))
    assert accepted.status == "accepted" and accepted.decided_on == date(2026, 9, 8)
    assert (event.decision, event.decided_on, event.referral_id) == (
        "accepted", date(2026, 9, 8), REFERRAL.referral_id)  # fmt: skip


def test_a_second_decision_is_refused():
    declined, _ = decide(REFERRAL, "declined", date(2026, 9, 8), "x")
    assert declined.status == "declined" and declined.decision_reason == "x"
    with pytest.raises(DomainError, match="already declined"):
        decide(declined, "accepted", date(2026, 9, 9))


def test_decision_cannot_precede_the_referral():
    with pytest.raises(InvalidCommandError):
        decide(REFERRAL, "accepted", date(2026, 9, 6))


def test_withdrawal_from_received_or_accepted_only():
    withdrawn, [event] = withdraw(REFERRAL, date(2026, 9, 9))
    assert withdrawn.status == "withdrawn" and event.withdrawn_on == date(2026, 9, 9)
    assert withdraw(replace(REFERRAL, status="accepted"), date(2026, 9, 9))[0].status == "withdrawn"
    for status in ("declined", "withdrawn"):
        with pytest.raises(DomainError):
            withdraw(replace(REFERRAL, status=status), date(2026, 9, 9))


def test_withdrawal_cannot_precede_the_referral():
    with pytest.raises(InvalidCommandError):
        withdraw(REFERRAL, date(2026, 9, 1))


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
