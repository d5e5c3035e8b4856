"""Each outcome event of a pupil as a fact the reports count, decided once in the projection.

A review, a reintegration, a sustainment check or a destination gets the placement, provider and
tier it counts for (attribution.py), a review its sessions and whether it was on time
(`on_time_flags`), a reintegration whether its latest sustainment check found it sustained, a
destination its activity code (the group is joined from the code table on every read). Pure, and
the same whatever order the pupil's events arrived in: they are read in business-time order.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from ap_schemas.events import (
    DestinationConfirmedV1,
    PlacementReviewedV1,
    PupilReintegratedV1,
    SustainmentCheckedV1,
)

from .attribution import attributed_placement
from .placement_facts import PlacementFact
from .policy import Policy
from .projection import TypedEvent


@dataclass(frozen=True, slots=True)
class OutcomeFact:
    event_id: UUID
    pupil_id: UUID
    kind: str  # review, reintegration, check, destination
    occurred_at: date
    placement_id: str | None  # the placement it counts for; None: no placement had started
    provider_id: str | None
    tier: int | None
    reintegration_id: str | None = None
    possible_sessions: int | None = None
    attended_sessions: int | None = None
    on_time: bool | None = None
    sustained: bool | None = None
    activity_code: int | None = None


def on_time_flags(
    start: date, reviews: Sequence[tuple[date, date | None]], rule: Policy
) -> list[bool]:
    """Per review of one placement (held on, next review set for), in date order: held within
    the review interval of the previous review (or the placement's start) and by the previous
    review's `next_review_on`, if it set one."""
    interval = timedelta(days=rule.review_interval_days)
    previous, due = start, None
    flags = []
    for held, next_on in reviews:
        flags.append(held - previous <= interval and (due is None or held <= due))
        previous, due = held, next_on
    return flags


def latest_checks(events: Iterable[TypedEvent]) -> dict[str, bool]:
    """Each reintegration's latest sustainment check (business date, then event id)."""
    out: dict[str, bool] = {}
    for e in sorted(events, key=lambda e: e.order):
        if isinstance(e.data, SustainmentCheckedV1):
            out[str(e.data.reintegration_id)] = e.data.sustained
    return out


OUTCOME_MODELS = (PlacementReviewedV1, PupilReintegratedV1, SustainmentCheckedV1,
                  DestinationConfirmedV1)  # fmt: skip


def outcome_facts_of(
    events: Iterable[TypedEvent], placements: Sequence[PlacementFact], rule: Policy
) -> list[OutcomeFact]:
    """The outcome facts of one pupil from all their events and placement facts."""
    ordered = sorted(events, key=lambda e: e.order)
    checks = latest_checks(ordered)
    on_time = review_flags(ordered, placements, rule)
    out: list[OutcomeFact] = []
    for e in ordered:
        d = e.data
        if not isinstance(d, OUTCOME_MODELS):
            continue
        named = getattr(d, "placement_id", None)
        fact = attributed_placement(None if named is None else str(named), placements,
                                    d.occurred_at)  # fmt: skip
        row = OutcomeFact(
            e.event_id, d.pupil_id, KINDS[type(d)], d.occurred_at,
            fact.placement_id if fact else None, fact.provider_id if fact else None,
            fact.tier if fact else None,
        )  # fmt: skip
        if isinstance(d, PlacementReviewedV1):
            row = replace(row, possible_sessions=d.attendance.possible_sessions,
                          attended_sessions=d.attendance.attended_sessions,
                          on_time=on_time.get(e.event_id))  # fmt: skip
        elif isinstance(d, PupilReintegratedV1):
            rid = str(d.reintegration_id)
            row = replace(row, reintegration_id=rid, sustained=checks.get(rid))
        elif isinstance(d, SustainmentCheckedV1):
            row = replace(row, reintegration_id=str(d.reintegration_id), sustained=d.sustained)
        else:
            row = replace(row, activity_code=d.activity_code)
        out.append(row)
    return out


KINDS: dict[type, str] = {
    PlacementReviewedV1: "review", PupilReintegratedV1: "reintegration",
    SustainmentCheckedV1: "check", DestinationConfirmedV1: "destination",
}  # fmt: skip


def review_flags(
    ordered: Sequence[TypedEvent], placements: Sequence[PlacementFact], rule: Policy
) -> dict[UUID, bool]:
    """Each review's on-time flag, among the reviews of its placement (a review of a placement
    not known here has none)."""
    starts = {p.placement_id: p.start_date for p in placements}
    held: dict[str, list[tuple[UUID, date, date | None]]] = {}
    for e in ordered:
        if isinstance(e.data, PlacementReviewedV1):
            held.setdefault(str(e.data.placement_id), []).append(
                (e.event_id, e.data.occurred_at, e.data.next_review_on)
            )
    out: dict[UUID, bool] = {}
    for pid, reviews in held.items():
        if pid in starts:
            flags = on_time_flags(starts[pid], [(day, nxt) for _, day, nxt in reviews], rule)
            out.update(zip((r[0] for r in reviews), flags, strict=True))
    return out
