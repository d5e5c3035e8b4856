"""The legal clocks of the action list, from a pupil's events and placements. Pure.

- sixth_day: past the sixth school day after a permanent exclusion, and no placement has started;
- review: an open placement with no review in the last complete half term, or none within the
  review interval;
- part_time: a part-time timetable (fewer than the full-time sessions a week) running longer than
  the limit;
- unregistered: an open placement with a provider that is not registered;
- late_notice: an open school-arranged placement whose notice was given fewer than 2 school days
  before its start (recorded, never refused: the law sets the duty);
- sustainment: a reintegration with no sustainment check once the window has passed.
School days come from `ap_schemas.calendar`; the limits are the policy's (policy.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ap_schemas.calendar import SchoolCalendar

from .policy import Policy


def clock_titles(rule: Policy) -> dict[str, str]:
    """What each clock means, with the policy's limits."""
    return {
        "sixth_day": "Past the sixth school day after a permanent exclusion, no placement started",
        "review": f"No review in the last half term or in {_weeks(rule.review_interval_days)}",
        "part_time": "Part-time timetable longer than the limit",
        "unregistered": "Placed in unregistered provision",
        "late_notice": "School-arranged AP: notice given fewer than 2 school days before the start",
        "sustainment": "Reintegration without a sustainment check after the window",
    }


def _weeks(days: int) -> str:
    return f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"


def part_time(sessions_per_week: int | None, rule: Policy) -> bool:
    """A timetable of fewer sessions than full time; none (or 0) recorded means full time."""
    return (sessions_per_week or rule.full_time_sessions) < rule.full_time_sessions


@dataclass(frozen=True, slots=True)
class Clock:
    kind: str
    pupil_id: str
    since: date  # when the clock ran out (or the placement began: unregistered, late_notice)
    detail: str
    placement_id: str | None = None
    provider_id: str | None = None


ClockRow = tuple[str, str, date | None, str | None, str | None, str | None, date | None]


def from_rows(rows: Iterable[Any], *, today: date, calendar: SchoolCalendar) -> list[Clock]:
    """The action list from the rows report_queries.clock_rows finds in SQL: the same clocks
    `all_clocks` gives, the longest overdue first. Only the sixth school day is counted here,
    from the calendar (once per exclusion date)."""
    sixth: dict[date, date] = {}
    out: list[Clock] = []
    row: ClockRow
    for row in rows:
        kind, pupil, since, detail, placement, provider, excluded = row
        if kind != "sixth_day":
            assert since is not None and detail is not None  # SQL writes both for these kinds
            out.append(Clock(kind, pupil, since, detail, placement, provider))
            continue
        assert excluded is not None
        due = sixth.get(excluded) or sixth.setdefault(
            excluded, calendar.add_school_days(excluded, 6)
        )
        if today > due:
            out.append(Clock(kind, pupil, due, f"excluded {excluded}, due {due}"))
    return sorted(out, key=lambda c: (c.since, c.kind, c.pupil_id, c.placement_id or "", c.detail))
