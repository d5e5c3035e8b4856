"""The claim-to-role table: each rule kind, first match wins, wrong types and bad files refused."""

import json
from pathlib import Path

import pytest
from ap_chassis import claims
from ap_chassis.auth import mapped_claims
from ap_chassis.problems import ProblemError

DEFAULT = Path(__file__).resolve().parents[2] / "deploy" / "claim-mapping.json"
PROVIDER = "8f14e45f-ceea-467f-a0e6-a1b2c3d4e5f6"


@pytest.fixture(scope="module")
def table() -> claims.ClaimMapping:
    return claims.parse(json.loads(DEFAULT.read_text()))


@pytest.mark.parametrize(
    ("token_claims", "expected"),
    [
        ({"roles": ["Other", "AP.LaOfficer"]}, claims.Mapped("la_officer")),
        ({"roles": "AP.Auditor"}, claims.Mapped("auditor")),
        ({"groups": ["ap-analysts"]}, claims.Mapped("analyst")),
        ({"organisation": {"id": "x", "urn": "123456"}}, claims.Mapped("school", urn="123456")),
        ({"ap_provider_id": PROVIDER}, claims.Mapped("provider", provider_id=PROVIDER)),
        # the file's order decides: an officer who is also in the analysts' group is an officer
        ({"groups": ["ap-analysts"], "roles": ["AP.LaOfficer"]}, claims.Mapped("la_officer")),
        ({"roles": ["Something.Else"], "groups": []}, None),
        ({"organisation": {"id": "no-urn"}}, None),
        ({}, None),
    ],
)
def test_the_default_table_maps_each_kind_of_claim(table, token_claims, expected):
    assert table.map(token_claims) == expected


@pytest.mark.parametrize(
    ("token_claims", "claim"),
    [
        ({"roles": 7}, "roles"),
        ({"roles": ["AP.LaOfficer", 7]}, "roles"),
        ({"organisation": {"urn": 123456}}, "organisation.urn"),
        ({"organisation": {"urn": "12345"}}, "organisation.urn"),
        ({"organisation": "123456"}, "organisation"),
        ({"ap_provider_id": ["x"]}, "ap_provider_id"),
    ],
)
def test_a_claim_of_the_wrong_type_is_refused_by_name(table, token_claims, claim):
    with pytest.raises(claims.ClaimTypeError) as raised:
        table.map(token_claims)
    assert raised.value.claim == claim and "7" not in str(raised.value)


def test_the_verifier_turns_mapped_claims_into_a_principal_or_refuses(table):
    assert mapped_claims({"sub": "cms", "roles": "AP.LaOfficer"}, table) == {
        "sub": "cms",
        "role": "la_officer",
    }
    with pytest.raises(ProblemError) as none:
        mapped_claims({"sub": "cms", "role": "la_officer"}, table)  # a bare role claim is ignored
    assert none.value.status == 403
    with pytest.raises(ProblemError) as wrong:
        mapped_claims({"sub": "cms", "roles": {"a": 1}}, table)
    assert wrong.value.status == 401 and "roles" in str(wrong.value.detail)


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"rules": []}, "rules"),
        ({"rules": [{"claim": "roles", "role": "la_officer"}]}, "value"),
        ({"rules": [{"claim": "org.urn", "role": "school", "value": "1"}]}, "no value"),
        ({"rules": [{"claim": "roles", "value": "x", "role": "admin"}]}, "role"),
        ({"rules": [{"claim": "roles", "value": "x", "role": "auditor", "extra": 1}]}, "extra"),
    ],
)
def test_a_bad_mapping_file_is_refused_at_start_up(document, complaint):
    with pytest.raises(ValueError, match=complaint):
        claims.parse(document)


def test_an_unreadable_file_names_itself(tmp_path):
    bad = tmp_path / "mapping.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"mapping\.json"):
        claims.load(bad)


def test_a_service_with_a_bad_mapping_file_does_not_start(tmp_path):
    from ap_chassis.settings import ServiceSettings
    from pydantic import ValidationError

    bad = tmp_path / "mapping.json"
    bad.write_text(json.dumps({"rules": [{"claim": "roles", "role": "la_officer"}]}))
    with pytest.raises(ValidationError, match="value"):
        ServiceSettings(JOURNEY_ENVIRONMENT="test", JOURNEY_CLAIM_MAPPING=str(bad))
    assert ServiceSettings(JOURNEY_ENVIRONMENT="test", JOURNEY_CLAIM_MAPPING=str(DEFAULT))
