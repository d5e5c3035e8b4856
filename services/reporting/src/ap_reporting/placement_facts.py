"""A pupil's placements as the read model holds them (placement_facts), from their placed,
ended and referred events, whatever their arrival order. Pure; written by the projection.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ap_schemas.calendar import notice_late

from .event_types import ENDED, REFERRED
from .projection import PLACED_TYPES, JourneyEvent


@dataclass(frozen=True)
class PlacementFact:
    placement_id: str
    pupil_id: str
    provider_id: str
    commissioner: str
    tier: int
    start_date: date
    end_date: date | None
    annual_cost_pence: int | None  # None: the cost is not known (journey.pupil.placed.v2)
    sessions_per_week: int | None = None
    reason: str | None = None
    home_school_urn: str | None = None
    notice_given_on: date | None = None  # school-arranged AP: when the school gave notice
    notice_late: bool = False  # fewer than 2 school days before the start (calendar.notice_late)


def placements_of(events: Iterable[JourneyEvent], pupil_id: str) -> list[PlacementFact]:
    """A pupil's placements from their placed and ended events, whatever their arrival order."""
    placed: dict[str, dict[str, Any]] = {}
    ended: dict[str, date] = {}
    home_school: dict[str, str | None] = {}
    for event in events:
        if event.type == REFERRED:
            home_school[str(event.data["referral_id"])] = event.data.get("home_school_urn")
        elif event.type in PLACED_TYPES:
            placed[str(event.data["placement_id"])] = event.data
        elif event.type == ENDED:
            ended[str(event.data["placement_id"])] = date.fromisoformat(event.data["end_date"])
    facts = []
    for pid, d in placed.items():
        commissioner = d["commissioner"]
        start = date.fromisoformat(d["start_date"])
        notice = date.fromisoformat(d["notice_given_on"]) if d.get("notice_given_on") else None
        facts.append(PlacementFact(
            placement_id=pid, pupil_id=pupil_id, provider_id=str(d["provider_id"]),
            commissioner=("school:" + commissioner["urn"]) if commissioner.get("urn")
            else commissioner["kind"],
            tier=int(d["tier"]), start_date=start,
            end_date=ended.get(pid), annual_cost_pence=_pence(d.get("annual_cost_pence")),
            sessions_per_week=d.get("sessions_per_week"), reason=d.get("reason"),
            home_school_urn=home_school.get(str(d.get("referral_id"))),
            notice_given_on=notice,
            notice_late=notice is not None and notice_late(notice, start),
        ))  # fmt: skip
    return facts


def _pence(value: Any) -> int | None:
    return None if value is None else int(value)
