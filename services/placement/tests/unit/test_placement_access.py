"""The placement service's access policy, cell by cell against its specification. Pure."""

import pytest
from ap_chassis.access import read_grid, uncovered
from ap_chassis.auth import Principal
from ap_placement import access

#  action            relation      la_officer school provider analyst auditor
SPEC = """
   register_provider any           allow      403    403      403     403
   register_named_provider any     allow      allow  403      403     403
   list_providers    any           allow      allow  allow    allow   403
   commission        self          allow      allow  403      403     403
   commission        other         allow      403    403      403     403
   place_on          referrer      allow      allow  403      403     403
   place_on          stranger      allow      404    403      403     403
   read              commissioner  allow      allow  404      403     403
   read              provider      allow      404    allow    403     403
   read              stranger      allow      404    404      403     403
   end               commissioner  allow      allow  403      403     403
   end               provider      allow      404    403      403     403
   end               stranger      allow      404    403      403     403
   override_approval any           allow      403    403      403     403
   read_provider     any           allow      allow  403      allow   403
   read_provider     provider      allow      allow  allow    allow   403
   read_provider     stranger      allow      allow  404      allow   403
   manage_provider   any           allow      403    403      403     403
   import            any           allow      allow  403      403     403
   import            self          allow      allow  403      403     403
   import            other         allow      403    403      403     403
   read_import       importer      allow      allow  403      403     403
   read_import       stranger      allow      404    403      403     403
   commission_arranged arranger    allow      allow  403      403     403
   commission_arranged other       403        403    403      403     403
"""
URN, OTHER, PROVIDER = "100001", "200002", "p1"
RESOURCES = {
    "any": None,
    "self": access.CommissionerRef("school", URN),
    "other": access.CommissionerRef("school", OTHER),
    "referrer": access.ReferralRef(URN),
    "stranger": None,  # per action below
    "commissioner": access.PlacementRef(URN, "p9"),
    "provider": access.PlacementRef(OTHER, PROVIDER),
    "importer": access.ImportRef("school", URN, "u"),
    "arranger": access.ArrangementRef(URN, "school", URN),
}
# school-arranged AP under the LA, or under another school, is "other" whoever asks
ARRANGED_ELSEWHERE = (
    access.ArrangementRef(URN, "local_authority", None),
    access.ArrangementRef(URN, "school", OTHER),
    access.ArrangementRef(OTHER, "school", URN),
)
STRANGER = {"place_on": access.ReferralRef(OTHER), "read": access.PlacementRef(OTHER, "p9"),
            "end": access.PlacementRef(None, "p9"), "read_provider": access.ProviderRef("p9"),
            "override_approval": None, "manage_provider": None,
            "read_import": access.ImportRef("school", URN, "someone else")}  # fmt: skip


def principal(role: str) -> Principal:
    return Principal(sub="u", role=role, urn=URN, provider_id=PROVIDER)  # type: ignore[arg-type]


@pytest.mark.parametrize(("role", "relation", "action", "expected"), read_grid(SPEC))
def test_every_cell_of_the_policy(role, relation, action, expected):
    resource = STRANGER[action] if relation == "stranger" else RESOURCES[relation]
    if action == "read_provider" and relation != "stranger":
        resource = None if relation == "any" else access.ProviderRef(PROVIDER)
    if action == "commission_arranged" and relation == "other":
        for elsewhere in ARRANGED_ELSEWHERE:
            assert access.can(principal(role), action, elsewhere) == expected, elsewhere
        return
    assert access.can(principal(role), action, resource) == expected


def test_the_specification_covers_every_action_and_rule():
    assert uncovered(access.POLICY, access.ACTIONS, read_grid(SPEC)) == []


def test_an_la_commissioned_placement_is_no_school_s():
    la_placement = access.PlacementRef(None, "p9")
    school_without_urn = Principal(sub="u", role="school", urn=None)
    assert access.can(school_without_urn, "read", la_placement) == "404"
