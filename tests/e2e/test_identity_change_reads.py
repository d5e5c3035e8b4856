"""Showing or applying an identity change shows identifying values, so each is an
identity read in referral's audit log; through the running referral service and PostgreSQL."""

from tests.e2e.support.privacy import unique_identity
from tests.support.platform import random_urn, token

LA = token()
AUDITOR = token("auditor")


async def reads(services, pupil_id: str) -> list[tuple[str, str, str]]:
    log = await services.referral.get(
        "/v1/audit/identity-reads", params={"pupil_id": pupil_id}, headers=AUDITOR
    )
    assert log.status_code == 200, log.text
    return [(r["reader"], r["role"], r["purpose"]) for r in log.json()["reads"]]


async def test_listing_and_applying_identity_changes_are_recorded_as_reads(services):
    urn = random_urn()
    school = token("school", urn=urn)
    body = unique_identity(referrer={"kind": "school", "urn": urn}, home_school_urn=urn)
    first = await services.referral.post("/v1/referrals", json=body, headers=school)
    assert first.status_code == 201, first.text
    pupil_id = first.json()["pupil_id"]
    again = await services.referral.post(
        "/v1/referrals", json={**body, "surname": body["surname"] + "x"}, headers=school
    )
    assert again.status_code == 201, again.text
    change_id = again.json()["identity_change_id"]
    before = await reads(services, pupil_id)
    assert ("la_officer-user", "la_officer", "identity changes") not in before

    listed = await services.referral.get(f"/v1/pupils/{pupil_id}/identity-changes", headers=LA)
    assert listed.status_code == 200, listed.text
    after_list = await reads(services, pupil_id)
    assert after_list.count(("la_officer-user", "la_officer", "identity changes")) == 1
    assert len(after_list) == len(before) + 1

    refused = await services.referral.get(f"/v1/pupils/{pupil_id}/identity-changes", headers=school)
    assert refused.status_code == 403
    assert await reads(services, pupil_id) == after_list  # nothing shown, nothing recorded

    apply = f"/v1/pupils/{pupil_id}/identity-changes/{change_id}/apply"
    applied = await services.referral.post(apply, headers=LA)
    assert applied.status_code == 200, applied.text
    after_apply = await reads(services, pupil_id)
    assert after_apply.count(("la_officer-user", "la_officer", "identity change applied")) == 1
    assert (await services.referral.post(apply, headers=LA)).status_code == 409
    assert await reads(services, pupil_id) == after_apply  # a refused apply shows nothing
