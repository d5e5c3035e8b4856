"""Post-16 destinations in a period, grouped the DfE way. Pure.

The group of a destination is derived from its activity code on every read (the code set of
ap_schemas, codesets/destinations.json), never taken from the event: events recorded under an old
grouping are re-grouped without rewriting history. Each pupil counts once, with their latest
destination confirmed in the period.

Participation rate (docs/returns.md): education_training / (all confirmed - excluded), or None when
nothing is left to divide by.

Sustained (DfE destination measures: six months; education all of October-March; employment 5 of
6 months; apprenticeship 6 months at any point). SIMPLIFIED, because NCCIS confirmations are points
in time, not monthly activity: a destination is sustained when the same pupil has a LATER
confirmation in the same group at least `months` calendar months after it (months per kind of
activity in the code set: education 5, October to March; employment 5; apprenticeship 6), with no
confirmation in another group in between. A confirmation after the period may sustain one inside it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ap_schemas.codes import destination_codes, destination_group, sustain_months

from .event_types import DESTINATION
from .projection import JourneyEvent


@dataclass(frozen=True)
class Confirmation:
    confirmed_on: date
    event_id: UUID
    activity_code: int
    group: str | None  # None: the code is not a post-16 destination (e.g. an old 1xx)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def is_sustained(confirmation: Confirmation, later: Iterable[Confirmation]) -> bool:
    """The simplified DfE rule of the module docstring; `later` in business-time order."""
    row = destination_codes().get(confirmation.activity_code)
    if row is None or row.sustain_as is None or confirmation.group is None:
        return False
    needed = add_months(confirmation.confirmed_on, sustain_months()[row.sustain_as])
    for other in later:
        if other.group is None:
            continue
        if other.group != confirmation.group:
            return False
        if other.confirmed_on >= needed:
            return True
    return False


def confirmation(event: JourneyEvent) -> Confirmation:
    """A destination event as a confirmation, its group derived from its code."""
    code = int(event.data["activity_code"])
    return Confirmation(event.occurred_at, event.event_id, code, destination_group(code))


def confirmations_of(events: Iterable[JourneyEvent]) -> list[Confirmation]:
    """One pupil's confirmations in business-time order."""
    ordered = sorted((e for e in events if e.type == DESTINATION), key=lambda e: e.order)
    return [confirmation(e) for e in ordered]


def confirmations_by_pupil(events: Iterable[JourneyEvent]) -> dict[str, list[Confirmation]]:
    out: dict[str, list[Confirmation]] = {}
    for e in sorted((e for e in events if e.type == DESTINATION), key=lambda e: e.order):
        out.setdefault(str(e.data.get("pupil_id")), []).append(confirmation(e))
    return out


def destination_flags(events: Iterable[JourneyEvent]) -> dict[UUID, dict[str, Any]]:
    """Per destination event: its group derived from its code (never the group it was recorded
    with) and whether it was sustained (the simplified DfE rule above). Pure."""
    flags: dict[UUID, dict[str, Any]] = {}
    for confirmations in confirmations_by_pupil(events).values():
        for i, c in enumerate(confirmations):
            flags[c.event_id] = {
                "group": c.group,
                "sustained": c.group is not None and is_sustained(c, confirmations[i + 1 :]),
            }
    return flags


def latest_destination(
    confirmations: Sequence[Confirmation], start: date, end: date
) -> Confirmation | None:
    """The one destination a pupil counts with in a period: their latest confirmed in it whose
    code is a post-16 destination (`confirmations` in business-time order)."""
    inside = [c for c in confirmations if start <= c.confirmed_on <= end and c.group is not None]
    return inside[-1] if inside else None
