"""The cost rule over a period, the one arithmetic reports do at read time. Pure.

The cost rule (docs/http-api.md): the cost of a placement within a period is its annualised
cost x the days of the placement inside the period (both ends inclusive) / 365, rounded to the
nearest penny at the end. A placement runs from its start to its end date, or the period's end
while open.
"""

from datetime import date
from fractions import Fraction
from typing import Literal

from .placement_facts import PlacementFact

DAYS_PER_YEAR = 365
GroupBy = Literal["commissioner", "provider", "tier"]


def days_inside(fact: PlacementFact, start: date, end: date) -> int:
    last = min(fact.end_date or end, end)
    first = max(fact.start_date, start)
    return max((last - first).days + 1, 0)


def round_pence(value: Fraction) -> int:
    """Nearest penny, halves away from zero (costs are never negative)."""
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def cost_in_period(fact: PlacementFact, start: date, end: date) -> int:
    """The cost rule; a placement whose cost is not known counts as 0 here, and is counted
    separately by `cost_rows` so it is never mistaken for a free one."""
    if fact.annual_cost_pence is None:
        return 0
    return round_pence(
        Fraction(fact.annual_cost_pence * days_inside(fact, start, end), DAYS_PER_YEAR)
    )
