"""What provider outcomes and sufficiency share: phases, percentiles, small-number suppression
and CSV. Pure. The threshold and the phase bands are the policy's (policy.py)."""

import csv
import io
import math
import statistics
from collections.abc import Iterable
from datetime import date
from typing import Any

from .policy import Policy, policy


def school_year(date_of_birth: date, on: date) -> int:
    """National Curriculum year on `on` (Reception = 0): a child born between 1 September and
    31 August starts Reception in the September after turning four."""
    academic_year = on.year if on.month >= 9 else on.year - 1
    birth_cohort = date_of_birth.year if date_of_birth.month >= 9 else date_of_birth.year - 1
    return academic_year - birth_cohort - 5


def phase_of(date_of_birth: date | None, on: date) -> str:
    """primary, secondary, post_16, or unknown (no date of birth known here, e.g. after erasure)."""
    if date_of_birth is None:
        return "unknown"
    year = school_year(date_of_birth, on)
    for band in policy().phases:
        if band.from_year <= year <= band.to_year:
            return band.phase
    return "unknown"


def spread(values: Iterable[int]) -> dict[str, Any]:
    """Count, median (mean of the two middle values for an even count) and 90th percentile
    (nearest rank: the ceil(0.9 n)-th smallest), in days; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return {"pupils": 0, "median_days": None, "p90_days": None}
    return {
        "pupils": len(ordered),
        "median_days": float(statistics.median(ordered)),
        "p90_days": ordered[math.ceil(0.9 * len(ordered)) - 1],
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def suppress(figures: Any, rule: Policy | None = None) -> Any:
    """Every block whose `pupils` count is small by the policy's rule keeps only
    `suppressed: true` (its count too is withheld); other blocks gain `suppressed: false`. For
    exports that leave the LA."""
    rule = policy() if rule is None else rule
    if isinstance(figures, list):
        return [suppress(f, rule) for f in figures]
    if not isinstance(figures, dict):
        return figures
    if isinstance(figures.get("pupils"), int):
        if rule.small(figures["pupils"]):
            return {k: (v if k in KEYS else None) for k, v in figures.items()} | {
                "suppressed": True
            }
        figures = {**figures, "suppressed": False}
    return {k: suppress(v, rule) for k, v in figures.items()}


KEYS = frozenset({"key", "tier", "phase", "provider_id", "month"})
"""Labels of a block, kept when its figures are suppressed."""


def to_csv(figures: dict[str, Any]) -> str:
    """One `measure,value` line per figure, the measure a dotted path."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["measure", "value"])
    for path, value in _flatten(figures, ""):
        writer.writerow([path, "" if value is None else value])
    return buffer.getvalue()


def _flatten(value: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{prefix}.{i}")
    else:
        yield prefix, value
