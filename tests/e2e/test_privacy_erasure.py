"""Erasure end to end on the real broker and database (docs/architecture.md#erasure).

After `POST /v1/pupils/{id}/erasure`: the pupil's name, UPN and date of birth are in no table of
any service's database, the latest `journey.identity` value for the pupil is a tombstone, the AP
census no longer carries them, and the pseudonymous journey stays.
"""

import uuid

from ap_schemas import topics

from tests.e2e.support.journeys import LA
from tests.e2e.support.privacy import placed_pupil, tables_holding, unique_identity
from tests.support.platform import token

CENSUS = {"census_date": "2035-01-18", "format": "csv"}  # third Thursday of January 2035


async def test_erasure_removes_identity_everywhere_and_keeps_the_journey(
    services, wait, topic_reader
):
    body = unique_identity(referred_on="2034-09-01")
    referral = await placed_pupil(services, body, start_date="2034-09-04")
    pupil_id = referral["pupil_id"]
    needles = [body["upn"], body["forename"], body["surname"], body["date_of_birth"]]

    async def in_census():
        r = await services.reporting.get("/v1/returns/ap-census", params=CENSUS, headers=LA)
        return r.status_code == 200 and body["upn"] in r.text and r

    await wait(in_census)
    held = await tables_holding(services, needles)
    assert {"referral.pupils", "referral.outbox", "reporting.pupil_identity"} <= set(held)

    missing_reason = await services.referral.post(
        f"/v1/pupils/{pupil_id}/erasure", json={}, headers=LA
    )
    assert missing_reason.status_code == 422
    assert missing_reason.json()["errors"][0]["field"] == "reason"
    for role, scope in (("school", {"urn": "123456"}), ("auditor", {}), ("analyst", {})):
        refused = await services.referral.post(
            f"/v1/pupils/{pupil_id}/erasure", json={"reason": "x"}, headers=token(role, **scope)
        )
        assert refused.status_code == 403, role
    unknown = await services.referral.post(
        f"/v1/pupils/{uuid.uuid4()}/erasure", json={"reason": "request"}, headers=LA
    )
    assert unknown.status_code == 404

    registry = services.apps["reporting"].state.runtime.metrics.registry
    labels = {"consumer": "identity", "topic": topics.IDENTITY}

    def dead_letters() -> float:
        return registry.get_sample_value("journey_dead_letters_total", labels) or 0.0

    before = dead_letters()
    erased = await services.referral.post(
        f"/v1/pupils/{pupil_id}/erasure",
        json={"reason": "parent's request under UK GDPR art. 17"},
        headers={**LA, "Idempotency-Key": f"erase-{pupil_id}"},
    )
    assert erased.status_code == 202, erased.text
    assert erased.json()["pupil_id"] == pupil_id and erased.json()["status"] == "erased"
    tombstone_id = erased.json()["event_ids"][0]

    async def nowhere():
        return not await tables_holding(services, needles)

    await wait(nowhere)

    async def latest_is_tombstone():
        records = await topic_reader(topics.IDENTITY, key=pupil_id)
        return records and records[-1].value is None and records

    records = await wait(latest_is_tombstone)
    assert len(records) >= 2  # the identity event, then its tombstone
    assert dead_letters() == before

    census = await services.reporting.get("/v1/returns/ap-census", params=CENSUS, headers=LA)
    assert census.status_code == 200
    assert not [n for n in needles if n in census.text]

    timeline = await services.reporting.get(f"/v1/pupils/{pupil_id}/timeline", headers=LA)
    assert timeline.status_code == 200
    assert [e["type"] for e in timeline.json()["events"]][:2] == [
        "journey.pupil.referred.v1", "journey.referral.decided.v1",
    ]  # fmt: skip

    # The retried request answers as before; erasing again is harmless.
    retried = await services.referral.post(
        f"/v1/pupils/{pupil_id}/erasure",
        json={"reason": "parent's request under UK GDPR art. 17"},
        headers={**LA, "Idempotency-Key": f"erase-{pupil_id}"},
    )
    assert retried.status_code == 202 and retried.json()["event_ids"] == [tombstone_id]
    again = await services.referral.post(
        f"/v1/pupils/{pupil_id}/erasure", json={"reason": "again"}, headers=LA
    )
    assert again.status_code == 202
    assert not await tables_holding(services, needles)


async def test_a_re_referral_after_erasure_is_a_new_pseudonym(services, wait):
    body = unique_identity(referred_on="2034-09-01")
    first = await services.referral.post("/v1/referrals", json=body, headers=LA)
    assert first.status_code == 201, first.text
    erased = await services.referral.post(
        f"/v1/pupils/{first.json()['pupil_id']}/erasure", json={"reason": "r"}, headers=LA
    )
    assert erased.status_code == 202
    again = await services.referral.post(
        "/v1/referrals", json={**body, "referred_on": "2034-10-01"}, headers=LA
    )
    assert again.status_code == 201, again.text
    assert again.json()["pupil_id"] != first.json()["pupil_id"]
