"""What provider outcomes and sufficiency share: phases, percentiles, small-number suppression
and CSV. Pure. The threshold and the phase bands are data (codesets/provider_reporting.json)."""

import csv
import io
import json
import math
import statistics
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib import resources
from typing import Any


@cache
def settings() -> dict[str, Any]:
    path = resources.files(__package__).joinpath("codesets", "provider_reporting.json")
    return dict(json.loads(path.read_text()))


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
    for band in settings()["phases"]:
        if band["from_year"] <= year <= band["to_year"]:
            return str(band["phase"])
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


def suppress(figures: Any, minimum: int | None = None) -> Any:
    """Every block with a `pupils` count below the threshold keeps only `suppressed: true`
    (its count too is withheld); other blocks gain `suppressed: false`. For exports that leave
    the LA."""
    minimum = settings()["suppress_below_pupils"] if minimum is None else minimum
    if isinstance(figures, list):
        return [suppress(f, minimum) for f in figures]
    if not isinstance(figures, dict):
        return figures
    if isinstance(figures.get("pupils"), int):
        if 0 < figures["pupils"] < minimum:
            return {k: (v if k in KEYS else None) for k, v in figures.items()} | {
                "suppressed": True
            }
        figures = {**figures, "suppressed": False}
    return {k: suppress(v, minimum) for k, v in figures.items()}


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
