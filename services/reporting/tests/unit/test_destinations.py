"""Post-16 destinations: re-grouped from the code, participation rate by hand, sustained. Pure."""

from datetime import date
from uuid import uuid4

import pytest
import reporting_reference as reference
from ap_reporting.destinations import add_months, destination_flags
from ap_reporting.projection import JourneyEvent

START, END = date(2028, 9, 1), date(2029, 8, 31)


def confirmed(pupil: str, day: date, code: int, group: str = "whatever-was-stored"):
    return JourneyEvent(uuid4(), "journey.destination.confirmed.v1", day,
                        {"pupil_id": pupil, "activity_code": code, "group": group})  # fmt: skip


def test_participation_rate_against_hand_arithmetic():
    # Ten pupils: 4 in education or training (sixth form, apprenticeship, employment with
    # regulated study, supported internship), 2 employed without training, 1 gap year, 1 NEET,
    # 1 not known, 1 in custody (710, out of the cohort).
    codes = [210, 310, 320, 460, 330, 360, 260, 619, 810, 710]
    events = [confirmed(f"p{i}", date(2028, 10, 1), c) for i, c in enumerate(codes)]
    d = reference.destinations_summary(events, START, END)
    assert (d["education_training"], d["employment"], d["other_activity"], d["neet"],
            d["not_known"], d["excluded"]) == (4, 2, 1, 1, 1, 1)  # fmt: skip
    # 4 / (10 - 1) = 0.4444...
    assert d["participation_rate"] == round(4 / 9, 4) == 0.4444
    assert d["other"] == d["other_activity"]


def test_no_destination_or_only_excluded_gives_no_rate():
    assert reference.destinations_summary([], START, END)["participation_rate"] is None
    only_custody = [confirmed("a", date(2028, 10, 1), 710), confirmed("b", date(2029, 1, 2), 720)]
    d = reference.destinations_summary(only_custody, START, END)
    assert (d["excluded"], d["participation_rate"]) == (2, None)


def test_the_group_comes_from_the_code_not_the_stored_event():
    events = [
        confirmed("a", date(2028, 10, 1), 330, group="education_training"),  # old grouping
        confirmed("b", date(2028, 10, 1), 710, group="other"),  # old grouping of custody
        confirmed("c", date(2028, 10, 1), 130, group="education_training"),  # old, pre-16
    ]
    d = reference.destinations_summary(events, START, END)
    assert (d["education_training"], d["employment"], d["excluded"], d["unrecognised"]) == (
        0, 1, 1, 1,
    )  # fmt: skip
    assert d["participation_rate"] == 0.0  # 0 / (2 - 1)


def test_each_pupil_counts_once_with_the_latest_destination_in_the_period():
    events = [
        confirmed("a", date(2028, 9, 30), 619),  # NEET first
        confirmed("a", date(2028, 11, 30), 230),  # then college: counts as education
        confirmed("a", date(2029, 9, 30), 330),  # after the period: not counted
    ]
    d = reference.destinations_summary(events, START, END)
    assert (d["education_training"], d["neet"], d["employment"]) == (1, 0, 0)


@pytest.mark.parametrize(
    ("first", "later", "sustained"),
    [
        ((date(2028, 10, 1), 230), [(date(2029, 3, 1), 210)], True),  # Oct to March, same group
        ((date(2028, 10, 1), 230), [(date(2029, 2, 28), 230)], False),  # short of five months
        ((date(2028, 10, 1), 230), [(date(2028, 12, 1), 619), (date(2029, 4, 1), 230)], False),
        ((date(2028, 10, 1), 310), [(date(2029, 3, 1), 310)], False),  # apprenticeship: 6 months
        ((date(2028, 10, 1), 310), [(date(2029, 4, 1), 310)], True),
        ((date(2028, 10, 1), 330), [(date(2029, 3, 1), 350)], True),  # employment, 5 months
        ((date(2028, 10, 1), 230), [(date(2029, 3, 1), 330)], False),  # another group
        ((date(2028, 10, 1), 230), [], False),
    ],
)
def test_sustained_needs_a_later_confirmation_of_the_same_group(first, later, sustained):
    day, code = first
    events = [confirmed("a", day, code)]
    # later confirmations lie after the period, so the first one stays the one counted
    period_end = day
    events += [confirmed("a", d, c) for d, c in later]
    d = reference.destinations_summary(events, START, period_end)
    group = "employment" if code in (330, 350) else "education_training"
    assert d["sustained"][group] == (1 if sustained else 0)


def test_each_destination_carries_its_group_from_the_code_and_a_sustained_flag():
    first = confirmed("a", date(2028, 10, 1), 230, group="neet")  # stored group ignored
    second = confirmed("a", date(2029, 3, 1), 210)  # five months on, same group
    custody = confirmed("b", date(2028, 10, 1), 710)
    flags = destination_flags([second, custody, first])  # arrival order does not matter
    assert flags[first.event_id] == {"group": "education_training", "sustained": True}
    assert flags[second.event_id] == {"group": "education_training", "sustained": False}
    assert flags[custody.event_id] == {"group": "excluded", "sustained": False}


def test_add_months_keeps_the_day_or_the_month_end():
    assert add_months(date(2028, 10, 1), 5) == date(2029, 3, 1)
    assert add_months(date(2028, 8, 31), 6) == date(2029, 2, 28)
    assert add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)
