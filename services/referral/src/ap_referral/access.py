"""Who may do what in the referral service: one pure policy, read as a table.

Relations of a caller to a resource:
- `self` / `other`: the referrer named in a new referral is, or is not, the calling school (for
  `arrange`: the school whose roll the pupil is on);
- `referrer` / `stranger`: the calling school made the referral, or did not (it may not know it);
- `any`: the LA officer, who is party to everything.
403 vs 404 follows `ap_chassis.access`: a stranger gets 404, a party that may not act gets 403.
"""

from dataclasses import dataclass
from typing import Literal

from ap_chassis.access import ALLOW, FORBIDDEN, NOT_FOUND, NamedParty, Outcome, Policy
from ap_chassis.auth import Principal

Action = Literal[
    "refer", "arrange", "read", "decide", "withdraw", "review_identity", "erase",
    "subject_access",
]  # fmt: skip
Relation = Literal["any", "self", "other", "referrer", "stranger"]
ACTIONS: tuple[Action, ...] = (
    "refer", "arrange", "read", "decide", "withdraw", "review_identity", "erase", "subject_access"
)  # fmt: skip


ReferrerRef = NamedParty  # the referrer a new command names


@dataclass(frozen=True)
class ReferralRef:
    """An existing referral, as far as access is concerned."""

    referrer_urn: str | None


Resource = ReferrerRef | ReferralRef | None

# (role, relation, action) -> outcome. A role absent for an action is 403 (it can never do it).
POLICY = Policy(
    {
        ("la_officer", "any", "refer"): ALLOW,
        ("school", "self", "refer"): ALLOW,
        ("school", "other", "refer"): FORBIDDEN,  # a school refers only as itself
        # school-arranged AP (accepted by the school at once): only for a pupil on its own roll
        ("la_officer", "any", "arrange"): ALLOW,  # on a school's behalf (its census import)
        ("school", "self", "arrange"): ALLOW,
        ("school", "other", "arrange"): FORBIDDEN,
        ("la_officer", "any", "read"): ALLOW,
        ("school", "referrer", "read"): ALLOW,
        ("school", "stranger", "read"): NOT_FOUND,
        ("la_officer", "any", "decide"): ALLOW,  # triage is the LA's alone: schools 403
        ("la_officer", "any", "withdraw"): ALLOW,
        ("school", "referrer", "withdraw"): ALLOW,
        ("school", "stranger", "withdraw"): NOT_FOUND,
        ("la_officer", "any", "review_identity"): ALLOW,  # identity changes: LA officers only
        ("la_officer", "any", "erase"): ALLOW,  # data protection: LA officers only
        ("la_officer", "any", "subject_access"): ALLOW,
    }
)


def relation(principal: Principal, resource: Resource) -> Relation:
    """How the caller stands to the resource: any, self, other, referrer or stranger."""
    if principal.role == "la_officer" or resource is None:
        return "any"
    if isinstance(resource, NamedParty):
        return "self" if resource.is_school(principal.urn) else "other"
    if resource.referrer_urn is not None and resource.referrer_urn == principal.urn:
        return "referrer"
    return "stranger"


def can(principal: Principal, action: Action, resource: Resource = None) -> Outcome:
    """allow, 403 or 404 for this caller doing `action` to `resource`. Pure."""
    return POLICY.outcome(principal.role, relation(principal, resource), action)
