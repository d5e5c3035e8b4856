"""Outcome rules: each shown rejecting and accepting. Pure."""

import json
from datetime import date, timedelta
from importlib import resources
from uuid import uuid4

import pytest
from ap_chassis.errors import DomainError, InvalidCommandError, NotYetKnownError
from ap_outcomes import domain

PUPIL_ID = uuid4()
START, END = date(2026, 9, 14), date(2027, 3, 31)
PLACEMENT = domain.PlacementFact(
    placement_id=uuid4(), pupil_id=PUPIL_ID, start_date=START, end_date=END
)
OPEN = domain.PlacementFact(
    placement_id=uuid4(), pupil_id=PUPIL_ID, start_date=START, end_date=None
)
REINTEGRATION = domain.Reintegration(
    reintegration_id=uuid4(),
    pupil_id=PUPIL_ID,
    reintegrated_on=date(2027, 4, 12),
    school_urn="654321",
    mode="phased",
)


def review(placement=PLACEMENT, **kw):
    args = {
        "reviewed_on": date(2026, 10, 20),
        "possible_sessions": 56,
        "attended_sessions": 40,
        "next_review_on": None,
    } | kw
    return domain.check_review(placement, placement.placement_id if placement else uuid4(), **args)


def only_rule_violation(exc: DomainError) -> None:
    """A plain DomainError: 409, no retry."""
    assert type(exc) is DomainError


# check_review ---------------------------------------------------------------------------


def test_attended_cannot_exceed_possible():
    with pytest.raises(InvalidCommandError) as err:
        review(possible_sessions=56, attended_sessions=57)
    assert err.value.field == "attendance.attended_sessions"


def test_attended_cannot_exceed_possible_even_for_an_unknown_placement():
    """The inconsistent command is refused outright, not answered with 'retry later'."""
    with pytest.raises(InvalidCommandError) as err:
        domain.check_review(
            None, uuid4(), reviewed_on=START, possible_sessions=0, attended_sessions=1
        )
    assert err.value.field == "attendance.attended_sessions"


def test_attended_may_equal_possible():
    assert review(possible_sessions=56, attended_sessions=56) is PLACEMENT
    assert review(possible_sessions=0, attended_sessions=0) is PLACEMENT


def test_a_review_of_an_unknown_placement_is_not_yet_known():
    placement_id = uuid4()
    with pytest.raises(NotYetKnownError) as err:
        domain.check_review(
            None, placement_id, reviewed_on=START, possible_sessions=10, attended_sessions=5
        )
    assert err.value.field == "placement_id"
    assert str(placement_id) in err.value.detail


def test_a_review_cannot_precede_the_placement():
    with pytest.raises(DomainError) as err:
        review(reviewed_on=START - timedelta(days=1))
    only_rule_violation(err.value)
    assert err.value.field == "reviewed_on"


def test_a_review_cannot_follow_the_placement_end():
    with pytest.raises(DomainError) as err:
        review(reviewed_on=END + timedelta(days=1))
    only_rule_violation(err.value)
    assert err.value.field == "reviewed_on"


def test_a_review_on_the_first_or_last_day_is_accepted():
    assert review(reviewed_on=START) is PLACEMENT
    assert review(reviewed_on=END) is PLACEMENT


def test_an_open_placement_may_be_reviewed_any_day_after_its_start():
    assert review(OPEN, reviewed_on=date(2030, 1, 1)) is OPEN
    with pytest.raises(DomainError):
        review(OPEN, reviewed_on=START - timedelta(days=1))


@pytest.mark.parametrize("days", [0, -1])
def test_the_next_review_comes_after_this_one(days):
    reviewed_on = date(2026, 10, 20)
    with pytest.raises(InvalidCommandError) as err:
        review(reviewed_on=reviewed_on, next_review_on=reviewed_on + timedelta(days=days))
    assert err.value.field == "next_review_on"


def test_a_next_review_after_this_one_is_accepted():
    assert review(reviewed_on=date(2026, 10, 20), next_review_on=date(2026, 10, 21)) is PLACEMENT


# check_reintegration --------------------------------------------------------------------


def test_a_reintegration_of_a_pupil_never_placed_here_is_not_yet_known():
    with pytest.raises(NotYetKnownError) as err:
        domain.check_reintegration(
            [], PUPIL_ID, placement_id=None, reintegrated_on=date(2027, 4, 12)
        )
    assert err.value.field == "pupil_id"


def test_a_named_placement_not_among_the_pupils_is_not_yet_known():
    with pytest.raises(NotYetKnownError) as err:
        domain.check_reintegration(
            [PLACEMENT], PUPIL_ID, placement_id=uuid4(), reintegrated_on=date(2027, 4, 12)
        )
    assert err.value.field == "placement_id"


def test_a_reintegration_cannot_precede_the_named_placement():
    with pytest.raises(InvalidCommandError) as err:
        domain.check_reintegration(
            [PLACEMENT],
            PUPIL_ID,
            placement_id=PLACEMENT.placement_id,
            reintegrated_on=START - timedelta(days=1),
        )
    assert err.value.field == "reintegrated_on"


def test_a_reintegration_with_a_named_placement_is_accepted():
    later = domain.PlacementFact(uuid4(), PUPIL_ID, date(2027, 9, 6), None)
    domain.check_reintegration(
        [later, PLACEMENT], PUPIL_ID, placement_id=PLACEMENT.placement_id, reintegrated_on=START
    )
    domain.check_reintegration(
        [later, PLACEMENT],
        PUPIL_ID,
        placement_id=PLACEMENT.placement_id,
        reintegrated_on=date(2027, 4, 12),
    )


def test_a_reintegration_without_a_named_placement_is_accepted():
    domain.check_reintegration(
        [PLACEMENT], PUPIL_ID, placement_id=None, reintegrated_on=date(2027, 4, 12)
    )


# check_sustainment ----------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, -1, -30])
def test_a_sustainment_check_must_follow_the_reintegration(days):
    with pytest.raises(InvalidCommandError) as err:
        domain.check_sustainment(
            REINTEGRATION, checked_on=REINTEGRATION.reintegrated_on + timedelta(days=days)
        )
    assert err.value.field == "checked_on"


def test_a_sustainment_check_after_the_reintegration_is_accepted():
    day_after = REINTEGRATION.reintegrated_on + timedelta(days=1)
    assert domain.check_sustainment(REINTEGRATION, checked_on=day_after) is None
    assert domain.check_sustainment(REINTEGRATION, checked_on=date(2027, 7, 12)) is None


# destination_group_of -------------------------------------------------------------------


# The code table of docs/returns.md#post-16-destinations, code by code: an independent copy, so a
# change to the data file that departs from it fails here.
RETURNS_MD_TABLE = {
    **dict.fromkeys((210, 220, 230, 240, 270, 280, 290, 250), "education_training"),
    260: "other_activity",
    310: "education_training",
    320: "education_training",
    381: "education_training",
    **dict.fromkeys((330, 340, 350, 360, 380), "employment"),
    **dict.fromkeys((410, 450, 460, 430, 440), "education_training"),
    530: "other_activity",
    **dict.fromkeys((540, 550, 610, 615, 616, 619), "neet"),
    **dict.fromkeys((620, 630, 640, 650, 660, 670, 680), "neet"),
    710: "excluded",
    720: "excluded",
    **dict.fromkeys((810, 820, 830), "not_known"),
}


@pytest.mark.parametrize(("code", "group"), sorted(RETURNS_MD_TABLE.items()))
def test_each_code_of_the_returns_table_gives_its_group(code, group):
    assert domain.destination_group_of(code) == group


def test_the_data_file_holds_exactly_the_returns_table_and_the_refused_pre16_codes():
    text = resources.files("ap_schemas").joinpath("codesets", "destinations.json").read_text()
    rows = json.loads(text)["codes"]
    accepted = {r["code"]: r["group"] for r in rows if r["group"] is not None}
    assert accepted == RETURNS_MD_TABLE
    assert {r["code"] for r in rows if r["group"] is None} == {110, 120, 130, 140, 150}
    assert all(r["mark"] in ("V", "S", "I") and r["meaning"] for r in rows)


@pytest.mark.parametrize("code", [110, 120, 130, 140, 150])
def test_a_pre16_code_is_refused_saying_why(code):
    with pytest.raises(InvalidCommandError) as err:
        domain.destination_group_of(code)
    assert err.value.field == "activity_code"
    assert str(code) in err.value.detail
    assert "pre-16" in err.value.detail


@pytest.mark.parametrize("code", [100, 111, 199, 200, 299, 370, 500, 539, 541, 600, 690, 700,
                                  800, 840, 999])  # fmt: skip
def test_a_code_outside_every_range_is_refused(code):
    with pytest.raises(InvalidCommandError) as err:
        domain.destination_group_of(code)
    assert err.value.field == "activity_code"
    assert str(code) in err.value.detail


# check_destination ----------------------------------------------------------------------


def test_a_destination_for_an_unknown_pupil_is_not_yet_known():
    pupil_id = uuid4()
    with pytest.raises(NotYetKnownError) as err:
        domain.check_destination(False, pupil_id)
    assert err.value.field == "pupil_id"
    assert str(pupil_id) in err.value.detail


def test_a_destination_for_a_known_pupil_is_accepted():
    assert domain.check_destination(True, PUPIL_ID) is None
