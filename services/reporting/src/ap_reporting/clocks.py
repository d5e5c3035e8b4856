"""The legal clocks of the action list, from a pupil's events and placements. Pure.

- sixth_day: past the sixth school day after a permanent exclusion, and no placement has started;
- review: an open placement with no review in the last complete half term, or none within the
  review interval;
- part_time: a part-time timetable (fewer than the full-time sessions a week) running longer than
  the limit;
- unregistered: an open placement with a provider that is not registered;
- sustainment: a reintegration with no sustainment check once the window has passed.
School days come from `ap_schemas.calendar`; the limits are the policy's (policy.py).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ap_schemas.calendar import SchoolCalendar

from .event_types import CHECKED, REFERRED, REINTEGRATED, REVIEWED
from .policy import Policy, policy
from .projection import JourneyEvent
from .reports import PlacementFact


def clock_titles(rule: Policy) -> dict[str, str]:
    """What each clock means, with the policy's limits."""
    return {
        "sixth_day": "Past the sixth school day after a permanent exclusion, no placement started",
        "review": f"No review in the last half term or in {_weeks(rule.review_interval_days)}",
        "part_time": "Part-time timetable longer than the limit",
        "unregistered": "Placed in unregistered provision",
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
    since: date  # when the clock ran out (or the placement began, for unregistered)
    detail: str
    placement_id: str | None = None
    provider_id: str | None = None


def pupil_clocks(
    pupil_id: str,
    events: Iterable[JourneyEvent],
    facts: Iterable[PlacementFact],
    *,
    today: date,
    calendar: SchoolCalendar,
    registered: Mapping[str, bool],
    limits: Policy | None = None,
) -> list[Clock]:
    """Every clock running out for one pupil on `today`."""
    limits = policy() if limits is None else limits
    events = sorted(events, key=lambda e: e.order)
    facts = list(facts)
    clocks: list[Clock] = []
    started = [f for f in facts if f.start_date <= today]
    withdrawn = {str(e.data["referral_id"]) for e in events if e.type.endswith("withdrawn.v1")}
    for e in events:
        d = e.data
        if (
            e.type == REFERRED
            and d.get("reason") == "permanent_exclusion"
            and d.get("excluded_on")
            and str(d["referral_id"]) not in withdrawn
        ):
            excluded = date.fromisoformat(d["excluded_on"])
            due = calendar.add_school_days(excluded, 6)
            if today > due and not any(f.start_date >= excluded for f in started):
                clocks.append(Clock("sixth_day", pupil_id, due, f"excluded {excluded}, due {due}"))
    reviews: dict[str, list[date]] = {}
    for e in events:
        if e.type == REVIEWED:
            reviews.setdefault(str(e.data["placement_id"]), []).append(e.occurred_at)
    half_term = calendar.last_complete_half_term(today)
    for f in started:
        if f.end_date is not None and f.end_date < today:
            continue
        dates = reviews.get(f.placement_id, [])
        last = max(dates, default=None)
        window = timedelta(days=limits.review_interval_days)
        due = (last or f.start_date) + window
        if (
            half_term
            and f.start_date < half_term[0]
            and not any(half_term[0] <= r <= half_term[1] for r in dates)
        ):
            clocks.append(
                Clock(
                    "review",
                    pupil_id,
                    half_term[1],
                    f"no review {half_term[0]} to {half_term[1]}",
                    f.placement_id,
                    f.provider_id,
                )
            )
        elif due < today:
            clocks.append(
                Clock(
                    "review",
                    pupil_id,
                    due,
                    f"last review {last or 'never'}",
                    f.placement_id,
                    f.provider_id,
                )
            )
        if part_time(f.sessions_per_week, limits):
            limit = f.start_date + timedelta(days=limits.part_time_limit_days)
            if today > limit:
                clocks.append(
                    Clock(
                        "part_time",
                        pupil_id,
                        limit,
                        f"{f.sessions_per_week} sessions a week since {f.start_date}",
                        f.placement_id,
                        f.provider_id,
                    )
                )
        if registered.get(f.provider_id) is False:
            clocks.append(
                Clock(
                    "unregistered",
                    pupil_id,
                    f.start_date,
                    "the provider is not registered",
                    f.placement_id,
                    f.provider_id,
                )
            )
    checked = {str(e.data["reintegration_id"]) for e in events if e.type == CHECKED}
    for e in events:
        if e.type == REINTEGRATED:
            rid = str(e.data["reintegration_id"])
            due = e.occurred_at + timedelta(days=limits.sustainment_window_days)
            if rid not in checked and today > due:
                clocks.append(
                    Clock(
                        "sustainment",
                        pupil_id,
                        due,
                        f"reintegrated {e.occurred_at} to {e.data['school_urn']}",
                    )
                )
    return clocks


def all_clocks(
    events_by_pupil: Mapping[str, list[JourneyEvent]],
    facts_by_pupil: Mapping[str, list[PlacementFact]],
    **kwargs: Any,
) -> list[Clock]:
    """The action list: every pupil's clocks, the longest overdue first."""
    out: list[Clock] = []
    for pupil in set(events_by_pupil) | set(facts_by_pupil):
        out.extend(
            pupil_clocks(
                pupil, events_by_pupil.get(pupil, []), facts_by_pupil.get(pupil, []), **kwargs
            )
        )
    return sorted(out, key=lambda c: (c.since, c.kind, c.pupil_id, c.placement_id or "", c.detail))


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
