"""Sufficiency (issue 12): demand and supply by tier and phase over time. Pure.

Demand: referrals received in the period by requested tier and phase, and by month; days from
referral to decision and to the start of its placement (median, 90th percentile); pupils waiting
on the period's last day (accepted, not withdrawn, no placement started). Supply: places offered
(capacity in force on the last day) against places used (placements open that day) per provider,
tier and phase, and the placements flagged beyond capacity in the period.

Phase comes from the pupil's date of birth (journey.identity) as their school year on the day in
question: the referral date for demand, the last day for supply; `unknown` without one.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .event_types import DECIDED, PLACED, REFERRED, WITHDRAWN
from .projection import JourneyEvent
from .provider_figures import phase_of, spread
from .provider_view import ProviderView
from .reports import days_inside, placements_of

Key = tuple[int, str]  # (tier, phase)


@dataclass(frozen=True)
class Demand:
    """The counts the answer is made from (report_queries.sufficiency_counts gives them from SQL):
    pupils referred in the period, days to decision and to placement start, pupils waiting on the
    last day, per (tier, phase); pupils referred per (month, tier, phase); pupils in each
    provider's places on the last day per (provider, tier, phase)."""

    referrals: dict[Key, int]
    to_decision: dict[Key, list[int]]
    to_start: dict[Key, list[int]]
    waiting: dict[Key, int]
    waiting_pupils: int
    monthly: dict[tuple[str, int, str], int]
    used: dict[tuple[str, int, str], int]


def sufficiency(
    events_by_pupil: Mapping[str, Sequence[JourneyEvent]],
    dates_of_birth: Mapping[str, date],
    providers: Mapping[str, ProviderView],
    start: date,
    end: date,
) -> dict[str, Any]:
    return answer(demand(events_by_pupil, dates_of_birth, start, end), providers, start, end)


def demand(
    events_by_pupil: Mapping[str, Sequence[JourneyEvent]],
    dates_of_birth: Mapping[str, date],
    start: date,
    end: date,
) -> Demand:
    """The counts from every pupil's journey events, in Python."""
    referrals: dict[tuple[int, str], set[str]] = defaultdict(set)
    monthly: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    to_decision: dict[tuple[int, str], list[int]] = defaultdict(list)
    to_start: dict[tuple[int, str], list[int]] = defaultdict(list)
    waiting: dict[tuple[int, str], set[str]] = defaultdict(set)
    used: dict[tuple[str, int, str], set[str]] = defaultdict(set)

    for pupil, events in events_by_pupil.items():
        dob = dates_of_birth.get(pupil)
        referred: dict[str, JourneyEvent] = {}
        decided: dict[str, JourneyEvent] = {}
        withdrawn: dict[str, date] = {}
        started: dict[str, date] = {}
        for e in events:
            rid = str(e.data.get("referral_id"))
            if e.type == REFERRED:
                referred[rid] = e
            elif e.type == DECIDED:
                decided[rid] = e
            elif e.type == WITHDRAWN:
                withdrawn[rid] = e.occurred_at
            elif e.type == PLACED:
                day = date.fromisoformat(e.data["start_date"])
                started[rid] = min(started.get(rid, day), day)
        for rid, ref in referred.items():
            on = date.fromisoformat(ref.data["referred_on"])
            key = (int(ref.data["tier_requested"]), phase_of(dob, on))
            if start <= on <= end:
                referrals[key].add(pupil)
                monthly[(on.strftime("%Y-%m"), *key)].add(pupil)
                if rid in decided:
                    decided_on = date.fromisoformat(decided[rid].data["decided_on"])
                    to_decision[key].append((decided_on - on).days)
                if rid in started:
                    to_start[key].append((started[rid] - on).days)
            accepted = rid in decided and decided[rid].data["decision"] == "accepted"
            if (
                accepted and on <= end
                and date.fromisoformat(decided[rid].data["decided_on"]) <= end
                and not (rid in withdrawn and withdrawn[rid] <= end)
                and not (rid in started and started[rid] <= end)
            ):  # fmt: skip
                waiting[key].add(pupil)
        for fact in placements_of(events, pupil):
            if days_inside(fact, end, end):
                used[(fact.provider_id, fact.tier, phase_of(dob, end))].add(pupil)

    return Demand(
        referrals={k: len(v) for k, v in referrals.items()},
        to_decision=dict(to_decision), to_start=dict(to_start),
        waiting={k: len(v) for k, v in waiting.items()},
        waiting_pupils=len({p for v in waiting.values() for p in v}),
        monthly={k: len(v) for k, v in monthly.items()},
        used={k: len(v) for k, v in used.items()},
    )  # fmt: skip


def answer(
    d: Demand, providers: Mapping[str, ProviderView], start: date, end: date
) -> dict[str, Any]:
    """The sufficiency answer from the counts and the providers' stated capacity."""
    keys = sorted(set(d.referrals) | set(d.waiting), key=str)
    demand = [
        {
            "tier": tier, "phase": phase, "pupils": d.referrals.get((tier, phase), 0),
            "referrals": d.referrals.get((tier, phase), 0),
            "referral_to_decision": spread(d.to_decision.get((tier, phase), [])),
            "referral_to_placement_start": spread(d.to_start.get((tier, phase), [])),
            "waiting_now": {"pupils": d.waiting.get((tier, phase), 0)},
        }
        for tier, phase in keys
    ]  # fmt: skip
    by_month = [
        {"month": m, "tier": t, "phase": p, "pupils": n, "referrals": n}
        for (m, t, p), n in sorted(d.monthly.items(), key=str)
    ]
    supply_keys = set(d.used)
    for view in providers.values():
        supply_keys.update((view.provider_id, c[0], c[1]) for c in view.capacity)
    supply = []
    for provider_id, tier, phase in sorted(supply_keys, key=str):
        stated = providers.get(provider_id)
        supply.append({
            "provider_id": provider_id, "tier": tier, "phase": phase,
            "places_offered": stated.places(tier, phase, end) if stated else None,
            "places_used": d.used.get((provider_id, tier, phase), 0),
            "pupils": d.used.get((provider_id, tier, phase), 0),
        })  # fmt: skip
    flags = {
        v.provider_id: sum(
            1 for day, _ in v.capacity_flags if start.isoformat() <= day <= end.isoformat()
        )
        for v in providers.values()
    }
    return {
        "as_of": end.isoformat(),
        "demand": demand,
        "by_month": by_month,
        "referral_to_decision": spread(x for v in d.to_decision.values() for x in v),
        "referral_to_placement_start": spread(x for v in d.to_start.values() for x in v),
        "waiting_now": {"pupils": d.waiting_pupils},
        "supply": supply,
        "beyond_capacity_flags": {k: n for k, n in sorted(flags.items()) if n},
    }
