"""How one provider's pupils do: attendance, reviews on time, reintegrations and
sustainment, destinations, breakdowns and cost per pupil-week, each with the number of pupils
behind it. Pure: the caller loads the journey events of the provider's pupils.

Attribution (attribution.py, as on the outcomes page): an outcome belongs to the provider of the
placement it names, else of the pupil's latest placement started on or before it. Destinations
as `/v1/outcomes` counts them: each pupil once, with their latest destination confirmed in the
period, grouped from its code on every read (destinations.py), here when that one is the
provider's. A reintegration is sustained by its latest sustainment check.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from .attribution import attributed_placement
from .destinations import confirmations_of, latest_destination
from .event_types import CHECKED, ENDED, REINTEGRATED, REVIEWED
from .outcome_facts import on_time_flags
from .placement_facts import PlacementFact, placements_of
from .policy import policy
from .projection import JourneyEvent
from .provider_figures import rate
from .reports import cost_in_period, days_inside, round_pence


def provider_at(facts: Sequence[PlacementFact], named: str | None, on: date) -> str | None:
    """The provider an outcome of `on` naming placement `named` counts for (attribution.py)."""
    fact = attributed_placement(named, facts, on)
    return fact.provider_id if fact else None


def reviews_on_time(
    fact: PlacementFact, reviews: Sequence[JourneyEvent], start: date, end: date
) -> tuple[int, int]:
    """(reviews in the period, of which on time by outcome_facts.on_time_flags)."""
    ordered = sorted(reviews, key=lambda e: e.order)
    held = [(r.occurred_at, _date(r.data.get("next_review_on"))) for r in ordered]
    flags = on_time_flags(fact.start_date, held, policy())
    inside = [flag for r, flag in zip(ordered, flags, strict=True) if start <= r.occurred_at <= end]
    return len(inside), sum(inside)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def provider_outcomes(
    provider_id: str, events_by_pupil: Mapping[str, Sequence[JourneyEvent]], start: date, end: date
) -> dict[str, Any]:
    pupils_in: set[str] = set()
    pupil_days = 0
    cost = 0
    possible = attended = 0
    attendance_pupils: set[str] = set()
    reviews = on_time = 0
    review_pupils: set[str] = set()
    reintegrations: dict[str, str] = {}  # reintegration id -> pupil
    checks: dict[str, tuple[date, Any, bool]] = {}
    destinations: dict[str, int] = defaultdict(int)
    destination_pupils: set[str] = set()
    ended = breakdowns = 0
    ended_pupils: set[str] = set()

    for pupil, events in events_by_pupil.items():
        facts = placements_of(events, pupil)
        mine = {f.placement_id: f for f in facts if f.provider_id == provider_id}
        reviews_of: dict[str, list[JourneyEvent]] = defaultdict(list)
        for e in events:
            d = e.data
            inside = start <= e.occurred_at <= end
            if e.type == REVIEWED and str(d["placement_id"]) in mine:
                reviews_of[str(d["placement_id"])].append(e)
                if inside:
                    possible += int(d["attendance"]["possible_sessions"])
                    attended += int(d["attendance"]["attended_sessions"])
                    attendance_pupils.add(pupil)
            elif e.type == REINTEGRATED and inside:
                named = d.get("placement_id")
                if provider_at(facts, named and str(named), e.occurred_at) == provider_id:
                    reintegrations[str(d["reintegration_id"])] = pupil
            elif e.type == CHECKED:
                rid = str(d["reintegration_id"])
                if rid not in checks or checks[rid][:2] < (e.occurred_at, e.event_id):
                    checks[rid] = (e.occurred_at, e.event_id, bool(d["sustained"]))
        latest = latest_destination(confirmations_of(events), start, end)
        if latest is not None and provider_at(facts, None, latest.confirmed_on) == provider_id:
            assert latest.group is not None  # latest_destination keeps recognised codes only
            destinations[latest.group] += 1
            destination_pupils.add(pupil)
        for pid, fact in mine.items():
            days = days_inside(fact, start, end)
            if days:
                pupils_in.add(pupil)
                pupil_days += days
                cost += cost_in_period(fact, start, end)
            total, timely = reviews_on_time(fact, reviews_of[pid], start, end)
            reviews += total
            on_time += timely
            if total:
                review_pupils.add(pupil)
            if fact.end_date is not None and start <= fact.end_date <= end:
                ended += 1
                ended_pupils.add(pupil)
                breakdowns += _end_reason(events, pid) == "breakdown"

    sustained = sum(1 for r in reintegrations if r in checks and checks[r][2])
    confirmed = sum(destinations.values())
    counted = confirmed - destinations.get("excluded", 0)
    return {
        "provider_id": provider_id,
        "placements": {"pupils": len(pupils_in), "pupil_days": pupil_days},
        "attendance": {
            "pupils": len(attendance_pupils), "possible_sessions": possible,
            "attended_sessions": attended, "rate": rate(attended, possible),
        },
        "reviews": {
            "pupils": len(review_pupils), "reviews": reviews, "on_time": on_time,
            "rate": rate(on_time, reviews),
        },
        "reintegration": {
            "pupils": len(set(reintegrations.values())), "count": len(reintegrations),
            "sustained": sustained, "sustained_rate": rate(sustained, len(reintegrations)),
        },
        "destinations": {
            "pupils": len(destination_pupils),
            **{g: destinations.get(g, 0) for g in policy().destination_groups},
            "participation_rate": rate(destinations.get("education_training", 0), counted),
        },
        "breakdowns": {
            "pupils": len(ended_pupils), "placements_ended": ended, "breakdown": breakdowns,
            "rate": rate(breakdowns, ended),
        },
        "cost": {
            "pupils": len(pupils_in), "cost_pence": cost,
            "per_pupil_week_pence": round_pence(Fraction(cost * 7, pupil_days))
            if pupil_days else None,
        },
    }  # fmt: skip


def _end_reason(events: Sequence[JourneyEvent], placement_id: str) -> str | None:
    for e in events:
        if e.type == ENDED and str(e.data["placement_id"]) == placement_id:
            return str(e.data["reason"])
    return None
