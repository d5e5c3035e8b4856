"""School days from term dates and bank holidays (pure)."""

from datetime import date

import pytest
from ap_schemas import calendar

ENGLAND = calendar.load()


def test_a_half_term_week_is_not_school_days():
    # Autumn half term 2026: Mon 26 - Fri 30 October
    assert ENGLAND.is_school_day(date(2026, 10, 23))
    assert not any(ENGLAND.is_school_day(date(2026, 10, d)) for d in range(26, 31))
    assert ENGLAND.is_school_day(date(2026, 11, 2))
    # Excluded on the Friday before half term: Nov 2, 3, 4, 5, 6, then Mon 9 is the sixth
    assert ENGLAND.add_school_days(date(2026, 10, 23), 6) == date(2026, 11, 9)


def test_a_bank_holiday_in_term_is_not_a_school_day():
    assert calendar.is_bank_holiday(date(2026, 5, 4))  # Early May bank holiday, a Monday
    assert ENGLAND.in_term(date(2026, 5, 4))
    assert not ENGLAND.is_school_day(date(2026, 5, 4))
    # Fri 1 May 2026: Tue 5 .. Fri 8 (4), Mon 11 (5), Tue 12 (6)
    assert ENGLAND.add_school_days(date(2026, 5, 1), 6) == date(2026, 5, 12)


def test_christmas_holidays_and_the_new_year():
    # Term ends Fri 18 Dec 2026; spring term starts Mon 4 Jan 2027
    assert ENGLAND.add_school_days(date(2026, 12, 17), 1) == date(2026, 12, 18)
    assert ENGLAND.add_school_days(date(2026, 12, 18), 1) == date(2027, 1, 4)
    assert ENGLAND.school_days_between(date(2026, 12, 19), date(2027, 1, 3)) == 0
    assert ENGLAND.add_school_days(date(2026, 12, 18), 6) == date(2027, 1, 11)


def test_outside_the_term_dates_weekdays_less_bank_holidays_count():
    assert ENGLAND.covers is not None and ENGLAND.covers[1] < date(2030, 12, 25)
    assert not ENGLAND.is_school_day(date(2030, 12, 25))
    assert ENGLAND.is_school_day(date(2030, 12, 24))


def test_an_la_calendar_is_data_with_closures_and_is_checked():
    la = calendar.parse(
        '{"half_terms": [{"from": "2026-09-01", "to": "2026-10-23"}], "closures": ["2026-09-01"]}'
    )
    assert not la.is_school_day(date(2026, 9, 1))
    assert la.add_school_days(date(2026, 8, 31), 1) == date(2026, 9, 2)
    assert la.last_complete_half_term(date(2026, 11, 1)) == (date(2026, 9, 1), date(2026, 10, 23))
    with pytest.raises(ValueError, match="overlap"):
        calendar.parse(
            '{"half_terms": [{"from": "2026-09-01", "to": "2026-10-23"},'
            ' {"from": "2026-10-01", "to": "2026-12-18"}]}'
        )


@pytest.mark.parametrize(
    ("notice", "start", "late"),
    [
        (date(2026, 9, 14), date(2026, 9, 16), False),  # Mon for Wed: 2 school days
        (date(2026, 9, 15), date(2026, 9, 16), True),  # Tue for Wed: 1 school day
        (date(2026, 9, 11), date(2026, 9, 15), False),  # Fri for Tue: Mon, Tue
        (date(2026, 9, 11), date(2026, 9, 14), True),  # Fri for Mon: the weekend is not school
        (date(2026, 5, 1), date(2026, 5, 5), True),  # Fri for Tue over the May bank holiday
        (date(2026, 5, 1), date(2026, 5, 6), False),
        (date(2026, 9, 17), date(2026, 9, 16), True),  # given after the start
        (date(2026, 9, 16), date(2026, 9, 16), True),  # on the day
    ],
)
def test_notice_given_late_counts_school_days(notice, start, late):
    assert calendar.notice_late(notice, start, ENGLAND) is late
