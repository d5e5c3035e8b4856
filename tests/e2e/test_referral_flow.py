"""A referral crosses the system: HTTP -> referral DB + outbox -> Kafka -> reporting read models."""

import json

from ap_schemas import topics


async def test_posted_referral_puts_one_pseudonymous_event_on_referrals(
    services, helpers, topic_reader, wait
):
    body = helpers.referral_body()
    answer = await services.referral.post("/v1/referrals", json=body, headers=helpers.token())
    assert answer.status_code == 201, answer.text
    pupil_id = answer.json()["pupil_id"]

    records = await wait(lambda: topic_reader(topics.REFERRALS, key=pupil_id))
    assert len(records) == 1
    value = records[0].value.decode()
    event = json.loads(value)
    assert event["type"] == "journey.pupil.referred.v1"
    assert event["subject"] == pupil_id
    assert event["id"] in answer.json()["event_ids"]
    for personal in (
        body["upn"],
        body["forename"],
        body["surname"],
        body["date_of_birth"],
        body["postcode"],
    ):
        assert personal not in value
    headers = dict(records[0].headers)
    assert headers["content-type"] == b"application/cloudevents+json"
    assert headers["ce_type"] == b"journey.pupil.referred.v1"
    assert "traceparent" in headers

    identity = await wait(lambda: topic_reader(topics.IDENTITY, key=pupil_id))
    assert len(identity) == 1
    details = json.loads(identity[0].value)["data"]
    assert details["upn"] == body["upn"] and details["surname"] == body["surname"]


async def test_same_upn_keeps_its_pupil_id(services, helpers):
    body = helpers.referral_body()
    first = await services.referral.post("/v1/referrals", json=body, headers=helpers.token())
    again = await services.referral.post(
        "/v1/referrals", json={**body, "referred_on": "2026-10-01"}, headers=helpers.token()
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["pupil_id"] == again.json()["pupil_id"]
    assert first.json()["referral_id"] != again.json()["referral_id"]


async def test_create_and_accept_then_timeline_and_caseload(services, helpers, wait):
    school = helpers.random_urn()
    body = helpers.referral_body(home_school_urn=school)
    created = (
        await services.referral.post("/v1/referrals", json=body, headers=helpers.token())
    ).json()
    decided = await services.referral.post(
        f"/v1/referrals/{created['referral_id']}/decision",
        json={"decision": "accepted", "decided_on": "2026-09-07"},
        headers=helpers.token(),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "accepted"

    async def accepted_timeline():
        r = await services.reporting.get(
            f"/v1/pupils/{created['pupil_id']}/timeline", headers=helpers.token("auditor")
        )
        return r.status_code == 200 and r.json()["status"] == "accepted" and r.json()

    timeline = await wait(accepted_timeline)
    assert [e["type"] for e in timeline["events"]] == [
        "journey.pupil.referred.v1",
        "journey.referral.decided.v1",
    ]
    assert timeline["events"][0]["event_id"] == created["event_ids"][0]
    assert timeline["events"][1]["event_id"] == decided.json()["event_ids"][0]

    caseload = await services.reporting.get(
        "/v1/caseload", params={"school_urn": school}, headers=helpers.token()
    )  # an analyst's count of 1 is suppressed (test_privacy_suppression.py)
    assert caseload.status_code == 200
    assert caseload.json()["total"] == 1
    assert caseload.json()["by_status"] == {"accepted": 1}
    assert caseload.json()["by_tier"] == {"2": 1}
