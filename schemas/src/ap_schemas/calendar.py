"""School days: term dates as data (per LA), bank holidays of England and Wales. Pure.

Reference data like the code sets, so every service counts school days the same way (the
sixth-day clock at referral, the legal clocks in reporting). Term dates are not law: an LA sets
its own, so they live in `calendars/<name>.json` (default `england`: the usual pattern, not any
LA's published dates) or in the file `JOURNEY_TERM_DATES` names. Bank holidays come from the
`holidays` package (offline). Outside the years a file covers, term dates are unknown and every
weekday that is not a bank holiday counts as a school day.
"""

import json
import os
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path

import holidays

HalfTerm = tuple[date, date]


@dataclass(frozen=True)
class SchoolCalendar:
    half_terms: tuple[HalfTerm, ...]  # sorted, non-overlapping, both ends inclusive
    closures: frozenset[date] = frozenset()

    @property
    def covers(self) -> HalfTerm | None:
        """The span the term dates describe (from the first half term to the last)."""
        return (self.half_terms[0][0], self.half_terms[-1][1]) if self.half_terms else None

    def in_term(self, day: date) -> bool:
        span = self.covers
        if span is None or not span[0] <= day <= span[1]:
            return True  # term dates unknown here: assume term time
        i = bisect_right(self.half_terms, (day, date.max)) - 1
        return i >= 0 and self.half_terms[i][0] <= day <= self.half_terms[i][1]

    def is_school_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in self.closures
            and not is_bank_holiday(day)
            and self.in_term(day)
        )

    def add_school_days(self, day: date, n: int) -> date:
        """The n-th school day after `day` (not counting `day` itself); n >= 1."""
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_school_day(day):
                counted += 1
        return day

    def school_days_between(self, first: date, last: date) -> int:
        """School days from `first` to `last`, both inclusive (0 when last < first)."""
        days, day = 0, first
        while day <= last:
            days += self.is_school_day(day)
            day += timedelta(days=1)
        return days

    def last_complete_half_term(self, today: date) -> HalfTerm | None:
        """The most recent half term that ended before `today`, if the dates reach that far."""
        done = [h for h in self.half_terms if h[1] < today]
        return done[-1] if done else None


NOTICE_SCHOOL_DAYS = 2  # an off-site direction's notice: 2 school days before it starts


def notice_late(
    notice_given_on: date, start_date: date, calendar: SchoolCalendar | None = None
) -> bool:
    """Notice of school-arranged AP given fewer than 2 school days before its start (notice on
    Monday for a Wednesday start is in time; after the start is always late). The platform
    records it and flags it; it never refuses the placement: the law sets the duty."""
    cal = calendar or default_calendar()
    return start_date < cal.add_school_days(notice_given_on, NOTICE_SCHOOL_DAYS)


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]).keys())


def is_bank_holiday(day: date) -> bool:
    """A bank holiday of England and Wales (including substitute days)."""
    return day in _bank_holidays(day.year)


def parse(text: str) -> SchoolCalendar:
    """A calendar from its JSON data: `half_terms: [{from, to}]`, optional `closures: [date]`."""
    data = json.loads(text)
    terms = sorted(
        (date.fromisoformat(h["from"]), date.fromisoformat(h["to"])) for h in data["half_terms"]
    )
    for start, end in terms:
        if end < start:
            raise ValueError(f"a half term runs backwards from {start.isoformat()}")
    for (_, a_end), (b_start, _) in pairwise(terms):
        if b_start <= a_end:
            raise ValueError(f"half terms overlap near {b_start.isoformat()}")
    return SchoolCalendar(
        tuple(terms), frozenset(date.fromisoformat(d) for d in data.get("closures", []))
    )


@cache
def load(name: str = "england") -> SchoolCalendar:
    """A checked-in calendar (`calendars/<name>.json`): `england`, or an LA's own."""
    return parse(resources.files(__package__).joinpath("calendars", f"{name}.json").read_text())


def default_calendar() -> SchoolCalendar:
    """The file JOURNEY_TERM_DATES names, else the checked-in default for England."""
    path = os.environ.get("JOURNEY_TERM_DATES")
    return _from_file(path) if path else load()


@cache
def _from_file(path: str) -> SchoolCalendar:
    return parse(Path(path).read_text())
