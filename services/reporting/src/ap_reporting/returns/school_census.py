"""The school census AP module: the AP placements one school arranged in a term. Pure.

Schools return these themselves (docs/returns.md); this lets a school or its MIS supplier check
what it should return, and the LA compare it with what schools return. Items, term windows and the
placement reason codes are data (tagmap.json, section school_census).
"""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ..placement_facts import PlacementFact
from .census import Identity, Provider, tagmap


def items() -> tuple[str, ...]:
    """The module's items, in order (our pupil_id first)."""
    return tuple(tagmap()["school_census"]["items"])


def term_window(term: str, year: int) -> tuple[date, date]:
    """The days of `term` in calendar year `year` (autumn 2025 is in 2025, spring 2026 in 2026)."""
    window = tagmap()["school_census"]["terms"][term]
    return date.fromisoformat(f"{year}-{window['from']}"), date.fromisoformat(
        f"{year}-{window['to']}"
    )


def arranged_by(
    facts: Iterable[PlacementFact], urn: str, window: tuple[date, date]
) -> list[PlacementFact]:
    """The placements school `urn` commissioned that overlap the window, in start order."""
    start, end = window
    return sorted(
        (f for f in facts
         if f.commissioner == f"school:{urn}" and f.start_date <= end
         and (f.end_date is None or f.end_date >= start)),
        key=lambda f: (f.start_date, f.placement_id),
    )  # fmt: skip


def item_rows(
    facts: Iterable[PlacementFact],
    *,
    window: tuple[date, date],
    identities: Mapping[str, Identity],
    providers: Mapping[str, Provider],
    sen_at_referral: Mapping[str, str | None],
) -> list[dict[str, Any]]:
    """One row per placement, by the module's item names; blank what we do not hold."""
    section = tagmap()["school_census"]
    full_time = int(tagmap()["codes"]["full_time_sessions_per_week"]["value"])
    out = []
    for f in facts:
        who = identities.get(f.pupil_id, {})
        provider = providers.get(f.provider_id) or {}
        left = f.end_date if f.end_date is not None and f.end_date <= window[1] else None
        identifier = next((k for k in ("urn", "ukprn", "setting_type") if provider.get(k)), None)
        sessions = f.sessions_per_week or 0
        row: dict[str, Any] = dict.fromkeys(items())
        row.update({
            "pupil_id": f.pupil_id,
            "upn": who.get("upn"), "forename": who.get("forename"), "surname": who.get("surname"),
            "date_of_birth": who.get("date_of_birth"), "sex": who.get("sex"),
            "entrydate": f.start_date.isoformat(),
            "leavingdate": left.isoformat() if left else None,
            "placementreason": section["placementreason"]["values"][f.reason or "other"],
            "apattendancepattern": tagmap()["codes"]["attendance_pattern"]["values"][
                "full_time" if sessions >= full_time else "part_time"],
            "apsessionsperweek": sessions or None,
            "senprovisionentry": sen_at_referral.get(f.placement_id),
            "senprovisionleaving": who.get("sen_provision") if left else None,
        })  # fmt: skip
        if identifier is not None:
            column = "apsettingtype" if identifier == "setting_type" else identifier
            row[column] = provider[identifier]
        out.append(row)
    return out
