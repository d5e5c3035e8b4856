"""Every identity-to-pseudonym lookup is audited, and auditors read both services' logs."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.e2e.support.privacy import unique_identity
from tests.support.platform import token

AUDITOR = token("auditor")


async def test_a_referral_records_the_upn_lookup_and_auditors_see_it(services, helpers):
    school = helpers.random_urn()
    body = unique_identity(referrer={"kind": "school", "urn": school})
    headers = {**token("school", urn=school), "Idempotency-Key": f"audit-{body['upn']}"}
    created = await services.referral.post("/v1/referrals", json=body, headers=headers)
    assert created.status_code == 201, created.text
    replay = await services.referral.post("/v1/referrals", json=body, headers=headers)
    assert replay.json() == created.json()
    pupil_id = created.json()["pupil_id"]

    log = await services.referral.get(
        "/v1/audit/identity-reads", params={"pupil_id": pupil_id}, headers=AUDITOR
    )
    assert log.status_code == 200, log.text
    assert log.json()["service"] == "referral"
    assert [(r["reader"], r["role"], r["purpose"]) for r in log.json()["reads"]] == [
        ("school-user", "school", "referral: UPN mapped to pupil_id")
    ]  # the replay looked nothing up
    assert body["upn"] not in log.text and body["surname"] not in log.text

    for role, scope in (
        ("analyst", {}),
        ("school", {"urn": school}),
        ("provider", {"provider_id": str(uuid.uuid4())}),
    ):
        refused = await services.referral.get(
            "/v1/audit/identity-reads", params={"pupil_id": pupil_id}, headers=token(role, **scope)
        )
        assert refused.status_code == 403, role


async def test_reporting_serves_its_identity_reads_by_pupil_and_period(services, wait):
    created = await services.referral.post("/v1/referrals", json=unique_identity(), headers=token())
    pupil_id = created.json()["pupil_id"]

    async def identity_read():
        r = await services.reporting.get(f"/v1/pupils/{pupil_id}/held-data", headers=token())
        return "pupil_identity" in r.json().get("tables", {})

    await wait(identity_read)
    today = datetime.now(UTC).date()
    log = await services.reporting.get(
        "/v1/audit/identity-reads",
        params={"pupil_id": pupil_id, "from": today.isoformat(), "to": today.isoformat()},
        headers=AUDITOR,
    )
    assert log.status_code == 200, log.text
    reads = log.json()["reads"]
    assert reads and {(r["pupil_id"], r["purpose"]) for r in reads} == {
        (pupil_id, "subject access")
    }
    assert reads[0]["reader"] == "la_officer-user"

    tomorrow = (today + timedelta(days=1)).isoformat()
    later = await services.reporting.get(
        "/v1/audit/identity-reads", params={"pupil_id": pupil_id, "from": tomorrow},
        headers=token(),
    )  # fmt: skip
    assert later.status_code == 200 and later.json()["reads"] == []
    to_the_end = await services.reporting.get(
        "/v1/audit/identity-reads", params={"pupil_id": pupil_id, "to": "9999-12-31"},
        headers=AUDITOR,
    )  # fmt: skip
    assert to_the_end.status_code == 200 and to_the_end.json()["reads"] == reads
    backwards = await services.reporting.get(
        "/v1/audit/identity-reads", params={"from": tomorrow, "to": today.isoformat()},
        headers=AUDITOR,
    )  # fmt: skip
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"
    analyst = await services.reporting.get("/v1/audit/identity-reads", headers=token("analyst"))
    assert analyst.status_code == 403
