"""Bad input is a 4xx problem, never a 500, and answers leak nothing."""

import json
import time
import uuid

import jwt
import pytest
from ap_schemas import topics

from tests.e2e.support.journeys import LA, accepted_referral, new_provider, placement_body
from tests.support.platform import JWT_SECRET, random_urn, referral_body, token


def forged(**claims) -> dict[str, str]:
    claims = {"sub": "u", "exp": int(time.time()) + 60, **claims}
    return {"Authorization": "Bearer " + jwt.encode(claims, JWT_SECRET, algorithm="HS256")}


@pytest.mark.parametrize(
    "claims",
    [
        {"role": ["la_officer"]},
        {"role": {"la_officer": 1}},
        {"role": "school", "urn": 123456},
        {"role": "school", "urn": ["123456"]},
        {"role": "provider", "provider_id": {"id": 1}},
        {"role": "la_officer", "sub": 42},
        {"role": "la_officer", "sub": "a\nb"},
    ],
)
async def test_claims_of_the_wrong_type_are_401(services, claims):
    answer = await services.reporting.get("/v1/caseload", headers=forged(**claims))
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_nul_characters_are_refused_in_any_text(services):
    body = referral_body(forename="Al\u0000ex")
    answer = await services.referral.post("/v1/referrals", json=body, headers=LA)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "body"
    raw = json.dumps(referral_body()).replace('"Example"', '"Ex\\u0000ample"')
    answer = await services.referral.post(
        "/v1/referrals", content=raw, headers={**LA, "content-type": "application/json"}
    )
    assert answer.status_code == 422
    query = await services.reporting.get("/v1/caseload?school_urn=12345%00", headers=LA)
    assert query.status_code == 422


async def test_numbers_and_dates_have_real_upper_bounds(services):
    far = await services.referral.post(
        "/v1/referrals",
        json=referral_body(reason="permanent_exclusion", excluded_on="9999-12-28"),
        headers=LA,
    )
    assert far.status_code == 422, far.text
    assert {e["field"] for e in far.json()["errors"]} == {"excluded_on"}
    referral = await accepted_referral(services)
    provider_id = await new_provider(services)
    for amount in (2**62, 2**40):
        costly = await services.placement.post(
            "/v1/placements",
            json=placement_body(
                referral["referral_id"], provider_id, cost={"amount_pence": amount, "per": "year"}
            ),
            headers=LA,
        )
        assert costly.status_code == 422, costly.text
        assert {e["field"] for e in costly.json()["errors"]} == {"cost.amount_pence"}
    review = {"placement_id": str(uuid.uuid4()), "reviewed_on": "2026-10-20",
              "attendance": {"possible_sessions": 2**40, "attended_sessions": 1},
              "progress": "expected", "outcome": "continue"}  # fmt: skip
    many = await services.outcomes.post("/v1/reviews", json=review, headers=LA)
    assert many.status_code == 422, many.text
    assert {e["field"] for e in many.json()["errors"]} == {"attendance.possible_sessions"}
    period = await services.reporting.get(
        "/v1/costs", params={"from": "2026-01-01", "to": "9999-12-31"}, headers=LA
    )
    assert period.status_code == 422


async def test_a_body_over_the_limit_is_413(services):
    huge = referral_body(forename="A" * 1_100_000)
    answer = await services.referral.post("/v1/referrals", json=huge, headers=LA)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_422_echoes_neither_chosen_keys_nor_upn_characters(services):
    body = referral_body(upn="Z999000000001")  # unknown LA code 999 (wrong check letter too)
    body["secret-marker-key"] = 1
    answer = await services.referral.post("/v1/referrals", json=body, headers=LA)
    assert answer.status_code == 422
    assert "secret-marker-key" not in answer.text
    assert "999" not in answer.text
    assert "(unknown field)" in {e["field"] for e in answer.json()["errors"]}
    bad_id = await services.referral.get("/v1/referrals/zzz-marker", headers=LA)
    assert bad_id.status_code == 422
    assert "zzz" not in bad_id.text


async def test_free_text_and_ids_reach_general_topics_only_allow_listed(
    services, wait, topic_reader
):
    a = random_urn()
    sub = "jane.doe@school.example"
    headers = {
        "Authorization": forged(role="school", urn=a, sub=sub)["Authorization"],
        "x-correlation-id": "Jane Doe, 12 Acacia Avenue",
    }
    created = await services.referral.post(
        "/v1/referrals", json=referral_body(referrer={"kind": "school", "urn": a}), headers=headers
    )
    assert created.status_code == 201, created.text
    pupil_id = created.json()["pupil_id"]
    control = await services.referral.post(
        f"/v1/referrals/{created.json()['referral_id']}/withdrawal",
        json={"withdrawn_on": "2026-09-09", "reason": "moved\u0007away"},
        headers=headers,
    )
    assert control.status_code == 422
    records = await wait(lambda: topic_reader(topics.REFERRALS, key=pupil_id))
    envelope = json.loads(records[0].value)
    assert "jane" not in records[0].value.decode().lower()
    assert "acacia" not in records[0].value.decode().lower()
    assert envelope["actor"]["user_id"].startswith("u-")
    correlation = envelope["correlationid"]
    assert correlation.isalnum() and len(correlation) == 32

    opaque = str(uuid.uuid4())
    again = await services.referral.post(
        "/v1/referrals",
        json=referral_body(),
        headers={**token(), "x-correlation-id": opaque},
    )
    records = await wait(lambda: topic_reader(topics.REFERRALS, key=again.json()["pupil_id"]))
    assert json.loads(records[0].value)["correlationid"] == opaque
