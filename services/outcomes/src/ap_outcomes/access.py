"""Who may do what in the outcomes service: one pure policy, read as a table.

Relations of a caller to a resource (a placement, a pupil's placements, a reintegration):
- `any`: the LA officer, party to everything (or an action on no particular resource);
- `commissioner` / `provider`: the calling school commissioned, or the calling provider
  provides, the placement (for a reintegration: the placement it names);
- `receiving`: the calling school is the one a reintegration returned the pupil to;
- `party`: the caller is party to another of the pupil's placements, so it knows the pupil but
  not this placement (a reintegration naming no placement, or another one);
- `stranger`: none of these; it may not know the resource exists;
- `unknown` (whatever the role): this service holds no such resource. A placement is another
  service's and may not have reached this one yet: the use case answers 409 (retry) and access
  is judged on the retry. A reintegration id is this service's own: none held means none
  issued, 404 to everyone, before any stored answer could be replayed.
403 vs 404 follows `ap_chassis.access`. Recording a reintegration needs the LA, the school
that commissioned the named placement or its provider: the receiving school cannot open a
pupil's journey to itself by naming its own URN.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from ap_chassis.access import ALLOW, FORBIDDEN, NOT_FOUND, Outcome, Policy, enforce
from ap_chassis.auth import Principal

from .domain import PlacementFact, Reintegration

Action = Literal["review", "reintegrate", "check_sustainment", "confirm_destination"]
Relation = Literal["any", "commissioner", "provider", "receiving", "party", "stranger", "unknown"]
ACTIONS: tuple[Action, ...] = ("review", "reintegrate", "check_sustainment", "confirm_destination")


@dataclass(frozen=True)
class PlacementRef:
    commissioner_urn: str | None
    provider_id: str | None


@dataclass(frozen=True)
class PupilPlacementsRef:
    """A reintegration to record: the placement it names (if any) and all the pupil's others."""

    named: PlacementRef | None
    placements: tuple[PlacementRef, ...]


@dataclass(frozen=True)
class ReintegrationRef:
    school_urn: str
    named: PlacementRef | None


@dataclass(frozen=True)
class Unknown:
    """A resource named by id that this service does not hold."""


UNKNOWN = Unknown()
Resource = PlacementRef | PupilPlacementsRef | ReintegrationRef | Unknown | None

POLICY = Policy({
    ("la_officer", "any", "review"): ALLOW,
    ("la_officer", "unknown", "review"): ALLOW,
    ("school", "commissioner", "review"): ALLOW,
    ("school", "stranger", "review"): NOT_FOUND,
    ("school", "unknown", "review"): ALLOW,
    ("provider", "provider", "review"): ALLOW,
    ("provider", "stranger", "review"): NOT_FOUND,
    ("provider", "unknown", "review"): ALLOW,
    ("la_officer", "any", "reintegrate"): ALLOW,
    ("la_officer", "unknown", "reintegrate"): ALLOW,
    ("school", "commissioner", "reintegrate"): ALLOW,
    ("school", "party", "reintegrate"): FORBIDDEN,
    ("school", "stranger", "reintegrate"): NOT_FOUND,
    ("school", "unknown", "reintegrate"): ALLOW,
    ("provider", "provider", "reintegrate"): ALLOW,
    ("provider", "party", "reintegrate"): FORBIDDEN,
    ("provider", "stranger", "reintegrate"): NOT_FOUND,
    ("provider", "unknown", "reintegrate"): ALLOW,
    ("la_officer", "any", "check_sustainment"): ALLOW,
    ("la_officer", "unknown", "check_sustainment"): NOT_FOUND,
    ("school", "receiving", "check_sustainment"): ALLOW,
    ("school", "commissioner", "check_sustainment"): ALLOW,
    ("school", "stranger", "check_sustainment"): NOT_FOUND,
    ("school", "unknown", "check_sustainment"): NOT_FOUND,
    ("provider", "provider", "check_sustainment"): FORBIDDEN,
    ("provider", "stranger", "check_sustainment"): NOT_FOUND,
    ("provider", "unknown", "check_sustainment"): NOT_FOUND,
    ("la_officer", "any", "confirm_destination"): ALLOW,
})  # fmt: skip


def _to_placement(principal: Principal, placement: PlacementRef | None) -> Relation:
    if placement is None:
        return "stranger"
    school, provider = principal.urn, principal.provider_id
    if principal.role == "school" and school is not None and placement.commissioner_urn == school:
        return "commissioner"
    if principal.role == "provider" and provider is not None and placement.provider_id == provider:
        return "provider"
    return "stranger"


def relation(principal: Principal, resource: Resource) -> Relation:
    """How the caller stands to the resource: one of `Relation`, as the module says."""
    if isinstance(resource, Unknown):
        return "unknown"
    if principal.role == "la_officer" or resource is None:
        return "any"
    if isinstance(resource, PlacementRef):
        return _to_placement(principal, resource)
    if isinstance(resource, ReintegrationRef):
        if principal.role == "school" and resource.school_urn == principal.urn:
            return "receiving"
        return _to_placement(principal, resource.named)
    named = _to_placement(principal, resource.named)
    if named != "stranger":
        return named
    known = any(_to_placement(principal, p) != "stranger" for p in resource.placements)
    return "party" if known else "stranger"


def can(principal: Principal, action: Action, resource: Resource = None) -> Outcome:
    """allow, 403 or 404 for this caller doing `action` to `resource`. Pure."""
    return POLICY.outcome(principal.role, relation(principal, resource), action)


# How each refusal reads: "this role or scope may not <verb> <what>".
VERBS: dict[Action, str] = {
    "review": "review",
    "reintegrate": "record a reintegration of",
    "check_sustainment": "check",
    "confirm_destination": "confirm a destination of",
}


def check(principal: Principal, action: Action, resource: Resource, *, what: str) -> None:
    """Raise the 403/404 `can` decides; `what` names the resource by id only."""
    enforce(can(principal, action, resource), action=VERBS[action], what=what)


# Resources from what this service holds ----------------------------------------------------


def placement(fact: PlacementFact) -> PlacementRef:
    """A placement fact as the policy reads it: its commissioner and provider."""
    provider_id = str(fact.provider_id) if fact.provider_id else None
    return PlacementRef(fact.commissioner_urn, provider_id)


def review_target(fact: PlacementFact | None) -> PlacementRef | Unknown:
    """What a review is checked against: the placement, or unknown when not held."""
    return UNKNOWN if fact is None else placement(fact)


def reintegration_target(
    placements: Sequence[PlacementFact], named_id: UUID | None
) -> PupilPlacementsRef | Unknown:
    """The pupil's placements known here; a named one not among them is not known yet."""
    named = next((p for p in placements if p.placement_id == named_id), None)
    if named_id is not None and named is None:
        return UNKNOWN
    return PupilPlacementsRef(
        placement(named) if named else None, tuple(placement(p) for p in placements)
    )


def sustainment_target(
    reintegration: Reintegration | None, named: PlacementFact | None
) -> ReintegrationRef | Unknown:
    """`named` is the placement the reintegration names, when it names one known here."""
    if reintegration is None:
        return UNKNOWN
    return ReintegrationRef(reintegration.school_urn, placement(named) if named else None)
