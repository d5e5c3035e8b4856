"""Who may read what in the reporting service: one pure policy, read as a table.

A school or a provider sees, on a pupil's timeline, only the events it is party to; a pupil
with none of them is not known to it (404). Being party is earned only by acts that involved
the caller, never by naming a UPN again:
- a **school**: the referrals it made or that name it as home school, their decisions and
  withdrawals; placements on those referrals or commissioned by it, their ends and reviews;
  reintegrations into it or from those placements, and their sustainment checks;
- a **provider**: its own placements, their ends and reviews, the referrals they were made on
  (and those referrals' decisions), reintegrations from its placements and their checks. Its view
  ends with its own placements: later placements and costs by other providers are not shown.
So a second referral by UPN shows the new referrer its own referral onward, never the earlier
journey; a receiving school sees the journey from its reintegration onward. LA officers and
auditors see every event; analysts see aggregates only. Event types not listed here (destinations,
anything added later) are shown to LA officers and auditors only.
"""

from collections.abc import Sequence
from typing import Literal

from ap_chassis.access import ALLOW, NOT_FOUND, Outcome, Policy
from ap_chassis.auth import Principal

from .event_types import (
    CHECKED,
    DECIDED,
    ENDED,
    PLACED,
    REFERRED,
    REINTEGRATED,
    REVIEWED,
    WITHDRAWN,
)
from .projection import JourneyEvent, PupilState, project, typed

Action = Literal[
    "read_timeline", "read_event", "read_caseload", "read_aggregates", "read_census",
    "rebuild_read_models",
]  # fmt: skip
Relation = Literal["any", "party", "stranger"]
ACTIONS: tuple[Action, ...] = (
    "read_timeline", "read_event", "read_caseload", "read_aggregates", "read_census",
    "rebuild_read_models",
)  # fmt: skip

POLICY = Policy({
    **{(role, "any", action): ALLOW
       for role in ("la_officer", "auditor") for action in ("read_timeline", "read_event")},
    **{(role, rel, action): ALLOW if rel == "party" else NOT_FOUND
       for role in ("school", "provider") for rel in ("party", "stranger")
       for action in ("read_timeline", "read_event")},
    **{(role, "any", "read_caseload"): ALLOW
       for role in ("la_officer", "analyst", "auditor", "school", "provider")},
    ("la_officer", "any", "read_aggregates"): ALLOW,
    ("analyst", "any", "read_aggregates"): ALLOW,
    ("la_officer", "any", "read_census"): ALLOW,
    ("la_officer", "any", "rebuild_read_models"): ALLOW,  # admin: rebuild.py
})  # fmt: skip

REFERRAL_TYPES = frozenset({
    REFERRED, DECIDED, WITHDRAWN,
})  # fmt: skip
PLACEMENT_TYPES = frozenset({
    PLACED, ENDED, REVIEWED,
})  # fmt: skip
REINTEGRATION_TYPES = frozenset({
    REINTEGRATED, CHECKED,
})  # fmt: skip


def _party_ids(principal: Principal, events: Sequence[JourneyEvent]) -> set[str]:
    """The referral, placement and reintegration ids the caller is party to (a fixed point)."""
    urn = principal.urn if principal.role == "school" else None
    provider = principal.provider_id if principal.role == "provider" else None
    ids: set[str] = set()
    while True:
        before = len(ids)
        for e in events:
            d = e.data
            if e.type == REFERRED and urn is not None:
                if urn in ((d.get("referrer") or {}).get("urn"), d.get("home_school_urn")):
                    ids.add(str(d["referral_id"]))
            elif e.type == PLACED:
                mine = (urn is not None and (d.get("commissioner") or {}).get("urn") == urn) or (
                    provider is not None and str(d.get("provider_id")) == provider
                )
                if mine or (urn is not None and str(d.get("referral_id")) in ids):
                    ids.add(str(d["placement_id"]))
                if mine and provider is not None:
                    ids.add(str(d["referral_id"]))
            elif e.type == REINTEGRATED:
                into = urn is not None and d.get("school_urn") == urn
                if into or str(d.get("placement_id")) in ids:
                    ids.add(str(d["reintegration_id"]))
        if len(ids) == before:
            return ids


def event_relation(event: JourneyEvent, party: set[str]) -> Relation:
    """Party when the event names a referral, placement or reintegration the caller is party to."""
    key = (
        "referral_id" if event.type in REFERRAL_TYPES
        else "placement_id" if event.type in PLACEMENT_TYPES
        else "reintegration_id" if event.type in REINTEGRATION_TYPES
        else None
    )  # fmt: skip
    return "party" if key is not None and str(event.data.get(key)) in party else "stranger"


def visible_events(principal: Principal, events: Sequence[JourneyEvent]) -> list[JourneyEvent]:
    """The events of one pupil's timeline this caller may read. Pure."""
    if principal.role in ("la_officer", "auditor"):
        return [e for e in events if can(principal, "read_event") == ALLOW]
    party = _party_ids(principal, events)
    return [
        e
        for e in events
        if POLICY.outcome(principal.role, event_relation(e, party), "read_event") == ALLOW
    ]


def can(
    principal: Principal, action: Action, events: Sequence[JourneyEvent] | None = None
) -> Outcome:
    """allow, 403 or 404. For a timeline, `events` are the pupil's: party to any, or a stranger."""
    if principal.role in ("la_officer", "auditor", "analyst") or events is None:
        return POLICY.outcome(principal.role, "any", action)
    relation: Relation = "party" if visible_events(principal, events) else "stranger"
    return POLICY.outcome(principal.role, relation, action)


def journey_view(
    principal: Principal, state: PupilState | None, events: Sequence[JourneyEvent]
) -> tuple[Outcome, list[JourneyEvent], str | None]:
    """What a caller may see of one pupil's journey: allow/403/404, the visible events, and the
    status those events give (the pupil's own status when every event is visible). Pure."""
    if state is None:
        return NOT_FOUND, [], None
    outcome = can(principal, "read_timeline", events)
    shown = visible_events(principal, events) if outcome == ALLOW else []
    status = state.status if len(shown) == len(events) else project(typed(e) for e in shown).status
    return outcome, shown, status
