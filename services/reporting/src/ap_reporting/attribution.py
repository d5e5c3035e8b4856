"""Which placement an outcome counts for: the one rule behind every split by provider or tier.

An outcome event (a review, a reintegration, a destination) counts for the placement it names
when the pupil has it; otherwise for the pupil's latest placement started on or before the event
(on the same start day, the greater placement id); otherwise for none ("unknown" in a split).
A placement that starts after the event never claims it. Pure; report_queries.outcome_splits is
the same rule in SQL.
"""

from collections.abc import Iterable
from datetime import date

from .placement_facts import PlacementFact


def attributed_placement(
    named: str | None, facts: Iterable[PlacementFact], on: date
) -> PlacementFact | None:
    """The placement an outcome of `on` counts for, among one pupil's placements."""
    facts = list(facts)
    for f in facts:
        if named is not None and f.placement_id == named:
            return f
    started = [f for f in facts if f.start_date <= on]
    return max(started, key=lambda f: (f.start_date, f.placement_id)) if started else None
