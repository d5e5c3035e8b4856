"""Who may do what in the placement service: one pure policy, read as a table.

Relations of a caller to a resource:
- `any`: the LA officer (party to everything), or an action on no particular resource;
- `self` / `other`: the commissioner named in a new placement is, or is not, the calling school;
- `referrer` / `stranger` (a referral): the calling school made it, or did not;
- `commissioner` / `provider` / `stranger` (a placement): the calling school commissioned it,
  the calling provider provides it, or neither (it may not know the placement exists);
- `provider` / `stranger` (a provider, for a provider's own caller): it is, or is not, itself;
- `importer` / `stranger` (a bulk import): the calling school made it as itself, or not;
- `arranger` / `other` (school-arranged AP): the commissioner named is, or is not, the school
  that arranged it (its referrer), whoever calls: nobody places it under the LA or another school.
403 vs 404 follows `ap_chassis.access`.
"""

from dataclasses import dataclass
from typing import Literal

from ap_chassis.access import ALLOW, FORBIDDEN, NOT_FOUND, NamedParty, Outcome, Policy
from ap_chassis.auth import Principal

Action = Literal[
    "register_provider",
    "register_named_provider",
    "list_providers",
    "commission",
    "place_on",
    "read",
    "end",
    "override_approval",
    "read_provider",
    "manage_provider",
    "import",
    "read_import",
    "commission_arranged",
]
Relation = Literal[
    "any", "self", "other", "referrer", "commissioner", "provider", "importer", "stranger",
    "arranger",
]  # fmt: skip
ACTIONS: tuple[Action, ...] = (
    "register_provider", "register_named_provider", "list_providers", "commission", "place_on",
    "read", "end", "override_approval", "read_provider", "manage_provider",
    "import", "read_import", "commission_arranged",
)  # fmt: skip


CommissionerRef = NamedParty  # the commissioner a new command names


@dataclass(frozen=True)
class ReferralRef:
    """The referral a placement is made on (placement's replica knows its referrer)."""

    referrer_urn: str | None


@dataclass(frozen=True)
class ArrangementRef:
    """A placement on school-arranged AP: the arranging school and the commissioner named."""

    arranged_by: str | None
    commissioner_kind: str
    commissioner_urn: str | None


@dataclass(frozen=True)
class PlacementRef:
    commissioner_urn: str | None
    provider_id: str


@dataclass(frozen=True)
class ProviderRef:
    provider_id: str


@dataclass(frozen=True)
class ImportRef:
    """Who made an import: role, the school it was for, and the caller's subject."""

    role: str
    school_urn: str | None
    sub: str


Resource = (
    CommissionerRef | ReferralRef | PlacementRef | ProviderRef | ImportRef | ArrangementRef | None
)

POLICY = Policy({
    ("la_officer", "any", "register_provider"): ALLOW,
    # a bulk import registers the providers its rows name by URN/UKPRN/setting type on the way:
    # a school's census return must not wait on the LA's register (imports/apply.py)
    ("la_officer", "any", "register_named_provider"): ALLOW,
    ("school", "any", "register_named_provider"): ALLOW,
    **{(role, "any", "list_providers"): ALLOW
       for role in ("la_officer", "school", "provider", "analyst")},
    ("la_officer", "any", "commission"): ALLOW,
    ("school", "self", "commission"): ALLOW,
    ("school", "other", "commission"): FORBIDDEN,  # a school commissions only as itself
    ("la_officer", "any", "place_on"): ALLOW,
    ("school", "referrer", "place_on"): ALLOW,  # only on referrals it made
    ("school", "stranger", "place_on"): NOT_FOUND,
    ("la_officer", "any", "read"): ALLOW,
    ("school", "commissioner", "read"): ALLOW,
    ("school", "stranger", "read"): NOT_FOUND,
    ("provider", "provider", "read"): ALLOW,
    ("provider", "stranger", "read"): NOT_FOUND,
    ("la_officer", "any", "end"): ALLOW,
    ("school", "commissioner", "end"): ALLOW,
    ("school", "stranger", "end"): NOT_FOUND,
    # placing with a provider that is not approved, under PROVIDER_APPROVAL=enforce
    ("la_officer", "any", "override_approval"): ALLOW,
    **{(role, "any", "read_provider"): ALLOW for role in ("la_officer", "school", "analyst")},
    ("provider", "provider", "read_provider"): ALLOW,  # a provider sees only itself
    ("provider", "stranger", "read_provider"): NOT_FOUND,
    # its quality record: checks, inspections, capacity, contracts, registration
    ("la_officer", "any", "manage_provider"): ALLOW,
    # a bulk import: a school imports its own census rows only (the LA names the school)
    ("la_officer", "any", "import"): ALLOW,
    ("school", "any", "import"): ALLOW,  # naming no school: itself
    ("school", "self", "import"): ALLOW,
    ("school", "other", "import"): FORBIDDEN,
    ("la_officer", "any", "read_import"): ALLOW,
    ("school", "importer", "read_import"): ALLOW,  # the imports it made as itself
    ("school", "stranger", "read_import"): NOT_FOUND,
    # school-arranged AP is commissioned by the school that arranged it: the LA sees it, it
    # does not commission it, and no other school may
    **{(role, "arranger", "commission_arranged"): ALLOW for role in ("la_officer", "school")},
    **{(role, "other", "commission_arranged"): FORBIDDEN for role in ("la_officer", "school")},
})  # fmt: skip


def relation(principal: Principal, resource: Resource) -> Relation:
    """How the caller stands to the resource: one of `Relation`, as the module docstring says."""
    if isinstance(resource, ArrangementRef):
        named = (resource.commissioner_kind, resource.commissioner_urn)
        return "arranger" if named == ("school", resource.arranged_by) else "other"
    if principal.role == "la_officer" or resource is None:
        return "any"
    if isinstance(resource, NamedParty):
        return "self" if resource.is_school(principal.urn) else "other"
    if isinstance(resource, ProviderRef):
        if principal.role != "provider":
            return "any"
        return "provider" if resource.provider_id == principal.provider_id else "stranger"
    if isinstance(resource, ImportRef):
        mine = (resource.role, resource.school_urn, resource.sub) == (
            "school",
            principal.urn,
            principal.sub,
        )
        return "importer" if mine and principal.role == "school" else "stranger"
    if isinstance(resource, ReferralRef):
        mine = resource.referrer_urn is not None and resource.referrer_urn == principal.urn
        return "referrer" if mine and principal.role == "school" else "stranger"
    if principal.role == "school" and resource.commissioner_urn in (principal.urn,):
        return "commissioner" if principal.urn is not None else "stranger"
    if principal.role == "provider" and resource.provider_id == principal.provider_id:
        return "provider"
    return "stranger"


def can(principal: Principal, action: Action, resource: Resource = None) -> Outcome:
    """allow, 403 or 404 for this caller doing `action` to `resource`. Pure."""
    return POLICY.outcome(principal.role, relation(principal, resource), action)
