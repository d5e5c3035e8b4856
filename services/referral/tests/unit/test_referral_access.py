"""The referral service's access policy, cell by cell against its specification. Pure."""

import pytest
from ap_chassis.access import read_grid, uncovered
from ap_chassis.auth import Principal
from ap_referral import access

#  action          relation  la_officer school provider analyst auditor
SPEC = """
   refer           self      allow      allow  403      403     403
   refer           other     allow      403    403      403     403
   arrange         self      allow      allow  403      403     403
   arrange         other     allow      403    403      403     403
   read            referrer  allow      allow  403      403     403
   read            stranger  allow      404    403      403     403
   decide          referrer  allow      403    403      403     403
   decide          stranger  allow      403    403      403     403
   withdraw        referrer  allow      allow  403      403     403
   withdraw        stranger  allow      404    403      403     403
   review_identity any       allow      403    403      403     403
   erase           any       allow      403    403      403     403
   subject_access  any       allow      403    403      403     403
"""
URN, OTHER = "100001", "200002"
RESOURCES = {
    "self": access.ReferrerRef("school", URN),
    "other": access.ReferrerRef("school", OTHER),
    "referrer": access.ReferralRef(URN),
    "stranger": access.ReferralRef(OTHER),
    "any": None,
}


def principal(role: str) -> Principal:
    return Principal(sub="u", role=role, urn=URN, provider_id="p1")  # type: ignore[arg-type]


@pytest.mark.parametrize(("role", "relation", "action", "expected"), read_grid(SPEC))
def test_every_cell_of_the_policy(role, relation, action, expected):
    assert access.can(principal(role), action, RESOURCES[relation]) == expected


def test_the_specification_covers_every_action_and_rule():
    assert uncovered(access.POLICY, access.ACTIONS, read_grid(SPEC)) == []


def test_a_referral_from_the_la_is_another_referrer_for_a_school():
    la_kind = access.ReferrerRef("local_authority", None)
    assert access.can(principal("school"), "refer", la_kind) == "403"
    assert access.can(principal("school"), "read", access.ReferralRef(None)) == "404"
