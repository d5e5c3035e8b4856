"""The legal clocks of the action list, from a pupil's events and placements. Pure.

- sixth_day: past the sixth school day after a permanent exclusion, and no placement has started;
- review: an open placement with no review in the last complete half term, or none in 10 weeks;
- part_time: a part-time timetable (fewer than 10 sessions a week) running longer than the limit;
- unregistered: an open placement with a provider that is not registered;
- sustainment: a reintegration with no sustainment check once the window has passed.
School days come from `ap_schemas.calendar`; the limits are settings an LA can change.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ap_schemas.calendar import SchoolCalendar
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .event_types import CHECKED, REFERRED, REINTEGRATED, REVIEWED
from .projection import JourneyEvent
from .reports import PlacementFact

FULL_TIME_SESSIONS = 10
CLOCK_TITLES = {
    "sixth_day": "Past the sixth school day after a permanent exclusion, no placement started",
    "review": "No review in the last half term or in 10 weeks",
    "part_time": "Part-time timetable longer than the limit",
    "unregistered": "Placed in unregistered provision",
    "sustainment": "Reintegration without a sustainment check after the window",
}


class ClockSettings(BaseSettings):
    """The limits of the clocks, from the environment (JOURNEY_CLOCK_...)."""

    model_config = SettingsConfigDict(env_prefix="JOURNEY_CLOCK_", frozen=True)

    part_time_limit_weeks: int = Field(default=6, ge=1)
    review_weeks: int = Field(default=10, ge=1)
    sustainment_window_weeks: int = Field(default=12, ge=1)


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
    limits: ClockSettings,
) -> list[Clock]:
    """Every clock running out for one pupil on `today`."""
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
        window = timedelta(weeks=limits.review_weeks)
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
        if (f.sessions_per_week or FULL_TIME_SESSIONS) < FULL_TIME_SESSIONS:
            limit = f.start_date + timedelta(weeks=limits.part_time_limit_weeks)
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
            due = e.occurred_at + timedelta(weeks=limits.sustainment_window_weeks)
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
