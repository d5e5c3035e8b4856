"""Provider quality at placement: approval refusal and override, contracts and
capacity, bad input; on the real broker and database."""

import contextlib
import json
from datetime import date, timedelta

from ap_schemas import topics

from tests.e2e.support.journeys import accepted_referral, new_provider, placement_body, retrying
from tests.support.platform import token

LA = token()
TODAY = date.today()
ALL_CHECKS = ("safeguarding", "health_and_safety", "insurance", "qualifications", "curriculum")


@contextlib.contextmanager
def approval_mode(services, mode: str):
    """Run the placement service with PROVIDER_APPROVAL=`mode` for the duration."""
    app = services.apps["placement"]
    before = app.state.settings
    app.state.settings = before.model_copy(update={"provider_approval": mode})
    try:
        yield
    finally:
        app.state.settings = before


async def record_check(services, provider_id, check, **overrides):
    body = {
        "check": check,
        "checked_on": (TODAY - timedelta(days=30)).isoformat(),
        "expires_on": (TODAY + timedelta(days=335)).isoformat(),
        "outcome": "approved" if check == "qa_visit" else "passed",
        **({"officer_id": "officer-9"} if check == "qa_visit" else {}),
        **overrides,
    }
    return await services.placement.post(
        f"/v1/providers/{provider_id}/checks", json=body, headers=LA
    )


async def approved_but_insurance(services) -> str:
    """A provider with every required check current except insurance, which expired."""
    provider_id = await new_provider(services)
    for check in (*ALL_CHECKS, "qa_visit"):
        answer = await record_check(services, provider_id, check)
        assert answer.status_code == 201, answer.text
    expired = await record_check(
        services, provider_id, "insurance",
        checked_on=(TODAY - timedelta(days=2)).isoformat(),
        expires_on=(TODAY - timedelta(days=1)).isoformat(),
    )  # fmt: skip
    assert expired.json()["lapsed_checks"] == ["insurance"]
    return provider_id


async def of_type(topic_reader, provider_id: str, type_: str) -> list[dict]:
    """The provider's events of one type on its topic (empty until the relay has sent one: the
    topic may already hold its earlier events, so waiting for any record is not enough)."""
    records = await topic_reader(topics.PROVIDERS, key=provider_id)
    return [e for r in records if (e := json.loads(r.value))["type"] == type_]


async def test_provider_answers_approved_and_lapsed_checks(services):
    provider_id = await new_provider(services)
    bare = (await services.placement.get(f"/v1/providers/{provider_id}", headers=LA)).json()
    assert bare["approved"] is False
    assert set(bare["lapsed_checks"]) == {*ALL_CHECKS, "qa_visit"}
    for check in (*ALL_CHECKS, "qa_visit"):
        assert (await record_check(services, provider_id, check)).status_code == 201
    now = (await services.placement.get(f"/v1/providers/{provider_id}", headers=LA)).json()
    assert now["approved"] is True and now["lapsed_checks"] == []
    later = (TODAY + timedelta(days=400)).isoformat()
    then = await services.placement.get(
        f"/v1/providers/{provider_id}", params={"as_of": later}, headers=LA
    )
    assert then.json()["approved"] is False
    other = token("provider", provider_id="00000000-0000-4000-8000-000000000001")
    assert (
        await services.placement.get(f"/v1/providers/{provider_id}", headers=other)
    ).status_code == 404


async def test_enforce_refuses_an_unapproved_provider_until_an_officer_overrides(
    services, topic_reader, wait
):
    provider_id = await approved_but_insurance(services)
    referral = await accepted_referral(services)
    body = placement_body(referral["referral_id"], provider_id, start_date=TODAY.isoformat())
    with approval_mode(services, "enforce"):
        refused = await retrying(
            lambda: services.placement.post("/v1/placements", json=body, headers=LA)
        )
        assert refused.status_code == 409, refused.text
        assert "retry-after" not in refused.headers
        assert "insurance" in refused.json()["detail"]
        assert refused.json()["errors"][0]["field"] == "provider_id"

        # Only an LA officer may override: a school commissioning on its own referral may not.
        school = token("school", urn="123456")
        own = await accepted_referral(services, referrer={"kind": "school", "urn": "123456"})
        by_school = await retrying(lambda: services.placement.post(
            "/v1/placements",
            json={**placement_body(own["referral_id"], provider_id, start_date=TODAY.isoformat()),
                  "commissioner": {"kind": "school", "urn": "123456"},
                  "override_reason": "we are sure"},
            headers=school,
        ))  # fmt: skip
        assert by_school.status_code == 403

        overridden = await services.placement.post(
            "/v1/placements",
            json={**body, "override_reason": "insurance renewed, certificate to follow"},
            headers=LA,
        )
        assert overridden.status_code == 201, overridden.text
    answer = overridden.json()
    assert len(answer["event_ids"]) == 2
    assert any("insurance" in w for w in answer["warnings"])

    override = await wait(
        lambda: of_type(topic_reader, provider_id, "journey.provider.approval_overridden.v1")
    )
    assert len(override) == 1
    assert override[0]["data"]["placement_id"] == answer["placement_id"]
    assert override[0]["data"]["lapsed_checks"] == ["insurance"]
    assert override[0]["id"] in answer["event_ids"]


async def test_warn_places_with_warnings(services):
    provider_id = await approved_but_insurance(services)
    referral = await accepted_referral(services)
    body = placement_body(referral["referral_id"], provider_id, start_date=TODAY.isoformat())
    placed = await retrying(
        lambda: services.placement.post("/v1/placements", json=body, headers=LA)
    )
    assert placed.status_code == 201, placed.text
    assert len(placed.json()["warnings"]) == 1
    assert "insurance" in placed.json()["warnings"][0]


async def test_cost_defaults_from_the_contract_and_capacity_is_flagged(
    services, topic_reader, wait
):
    provider_id = await new_provider(services)
    url = f"/v1/providers/{provider_id}"
    contract = {"tier": 2, "starts_on": "2026-09-01", "ends_on": "2027-08-31",
                "cost": {"amount_pence": 9500, "per": "session"}}  # fmt: skip
    assert (
        await services.placement.post(url + "/contracts", json=contract, headers=LA)
    ).status_code == 201
    capacity = {"tier": 2, "phase": "secondary", "places": 1, "effective_from": "2026-09-01"}
    assert (
        await services.placement.post(url + "/capacity", json=capacity, headers=LA)
    ).status_code == 201

    placed = []
    for _ in range(2):
        referral = await accepted_referral(services)
        body = placement_body(referral["referral_id"], provider_id, phase="secondary")
        del body["cost"]
        answer = await retrying(
            lambda b=body: services.placement.post("/v1/placements", json=b, headers=LA)
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["annual_cost_pence"] == 9500 * 8 * 39
        placed.append(answer.json())
    assert not any("capacity" in w for w in placed[0]["warnings"])
    assert any("2 placements for 1 places" in w for w in placed[1]["warnings"])
    shown = await services.placement.get(f"/v1/placements/{placed[1]['placement_id']}", headers=LA)
    assert shown.json()["cost"] == {"amount_pence": 9500, "per": "session"}

    flags = await wait(
        lambda: of_type(topic_reader, provider_id, "journey.provider.capacity_exceeded.v1")
    )
    flags = [e["data"] for e in flags]
    assert [(f["placement_id"], f["places"], f["in_use"]) for f in flags] == [
        (placed[1]["placement_id"], 1, 2)
    ]

    referral = await accepted_referral(services)
    body = placement_body(referral["referral_id"], provider_id, tier=3)
    del body["cost"]
    no_contract = await retrying(
        lambda: services.placement.post("/v1/placements", json=body, headers=LA)
    )
    # No cost and no contract: placed with the cost not known, never as free.
    assert no_contract.status_code == 201, no_contract.text
    assert no_contract.json()["annual_cost_pence"] is None


async def test_bad_provider_input_is_422_naming_the_field(services):
    provider_id = await new_provider(services)
    url = f"/v1/providers/{provider_id}"

    async def field_of(path, body):
        answer = await services.placement.post(url + path, json=body, headers=LA)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        return answer.json()["errors"][0]["field"]

    expiry = {"check": "insurance", "checked_on": "2026-09-01", "expires_on": "2026-08-31",
              "outcome": "passed"}  # fmt: skip
    assert await field_of("/checks", expiry) == "expires_on"
    assert await field_of("/checks", {**expiry, "check": "cooking"}) == "check"
    judgement = {"inspected_on": "2025-03-01", "judgement": "marvellous"}
    assert await field_of("/inspections", judgement) == "judgement"
    capacity = {"tier": 2, "phase": "primary", "places": -1, "effective_from": "2026-09-01"}
    assert await field_of("/capacity", capacity) == "places"
    contract = {"tier": 2, "starts_on": "2026-09-01", "ends_on": "2027-08-31",
                "cost": {"amount_pence": 9500, "per": "session"}}  # fmt: skip
    assert (
        await services.placement.post(url + "/contracts", json=contract, headers=LA)
    ).status_code == 201
    overlapping = {**contract, "starts_on": "2027-08-31", "ends_on": "2028-08-31"}
    assert await field_of("/contracts", overlapping) == "starts_on"

    good = await services.placement.post(
        url + "/inspections",
        json={"ofsted_urn": "123456", "inspected_on": "2025-03-01", "judgement": "eif_2019:2"},
        headers=LA,
    )
    assert good.status_code == 201, good.text
    shown = (await services.placement.get(url, headers=LA)).json()
    assert shown["inspection"]["judgement"] == "eif_2019:2"
    assert shown["inspection"]["judgement_text"].startswith("Good")
    unknown = await services.placement.post(
        "/v1/providers/00000000-0000-4000-8000-000000000002/checks",
        json={**expiry, "expires_on": "2027-08-31"},
        headers=LA,
    )
    assert unknown.status_code == 404


async def test_a_qa_visit_without_its_officer_is_recorded_and_queried(services):
    """The published contract never required officer_id: a client built to it is answered 201."""
    provider_id = await new_provider(services)
    body = {
        "check": "qa_visit",
        "checked_on": (TODAY - timedelta(days=3)).isoformat(),
        "expires_on": (TODAY + timedelta(days=300)).isoformat(),
        "outcome": "approved",
    }
    answer = await services.placement.post(
        f"/v1/providers/{provider_id}/checks", json=body, headers=LA
    )
    assert answer.status_code == 201, answer.text
    assert [q["field"] for q in answer.json()["queries"]] == ["officer_id"]
    profile = (await services.placement.get(f"/v1/providers/{provider_id}", headers=LA)).json()
    assert profile["checks"]["qa_visit"] == "current"
    assert profile["queries"] == [
        {
            "check": "qa_visit",
            "field": "officer_id",
            "message": answer.json()["queries"][0]["message"],
        }
    ]
