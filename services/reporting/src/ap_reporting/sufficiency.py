"""Sufficiency: demand and supply by tier and phase over time. Pure.

Demand: referrals received in the period by requested tier and phase, and by month; days from
referral to decision and to the start of its placement (median, 90th percentile); pupils waiting
on the period's last day (accepted, not withdrawn, no placement started). Supply: places offered
(capacity in force on the last day) against places used (placements open that day) per provider,
tier and phase, and the placements flagged beyond capacity in the period.

Phase comes from the pupil's date of birth (journey.identity) as their school year on the day in
question: the referral date for demand, the last day for supply; `unknown` without one.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .provider_figures import spread
from .provider_view import ProviderView

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
