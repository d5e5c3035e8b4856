"""Subject access: referral gathers what every service holds about a pupil into one document,
over HTTP to each service's held-data endpoint (in-process apps mounted by base URL here)."""

import uuid

import httpx
import pytest

from tests.e2e.support.journeys import LA
from tests.e2e.support.privacy import placed_pupil, unique_identity
from tests.support.platform import token


@pytest.fixture
def mounted(services):
    """Route referral's fan-out to the in-process apps (the test-only settings hook)."""
    referral = services.apps["referral"]
    settings = referral.state.settings
    referral.state.held_data_mounts = {
        getattr(settings, f"{name}_url"): httpx.ASGITransport(app=services.apps[name])
        for name in ("placement", "outcomes", "reporting")
    }
    yield referral
    referral.state.held_data_mounts = None


async def test_subject_access_gathers_every_service_and_is_recorded(services, mounted, wait):
    body = unique_identity(referred_on="2034-09-01")
    referral = await placed_pupil(services, body, start_date="2034-09-04")
    pupil_id = referral["pupil_id"]

    async def complete():
        r = await services.referral.get(f"/v1/pupils/{pupil_id}/subject-access", headers=LA)
        held = r.json().get("held", {}) if r.status_code == 200 else {}
        ready = "placement_facts" in held.get("reporting", {}) and held.get("outcomes")
        return ready and r.json()

    document = await wait(complete)
    assert document["pupil_id"] == pupil_id
    held = document["held"]
    assert set(held) == {"referral", "placement", "outcomes", "reporting"}
    (register,) = held["referral"]["pupils"]
    assert (register["upn"], register["surname"]) == (body["upn"], body["surname"])
    assert register["date_of_birth"] == body["date_of_birth"]
    assert [r["referral_id"] for r in held["referral"]["referrals"]] == [referral["referral_id"]]
    published = {e["value"]["type"] for e in held["referral"]["outbox"]}
    assert published == {"journey.pupil.referred.v1", "journey.referral.decided.v1",
                         "journey.pupil.identity.recorded.v1"}  # fmt: skip
    assert held["placement"]["placements"][0]["pupil_id"] == pupil_id
    assert held["reporting"]["pupil_identity"][0]["details"]["forename"] == body["forename"]
    assert {e["type"] for e in held["reporting"]["journey_events"]} >= {
        "journey.pupil.referred.v1", "journey.pupil.placed.v1",
    }  # fmt: skip

    purposes = await services.apps["referral"].state.runtime.pool.fetch(
        "SELECT purpose, reader, role FROM identity_reads WHERE pupil_id = $1",
        uuid.UUID(pupil_id),
    )
    assert ("subject access", "la_officer-user", "la_officer") in [tuple(p) for p in purposes]
    assert await services.apps["reporting"].state.runtime.pool.fetchval(
        "SELECT count(*) FROM identity_reads WHERE pupil_id = $1 AND purpose = 'subject access'",
        uuid.UUID(pupil_id),
    )


async def test_subject_access_is_for_la_officers_and_known_pupils_and_never_partial(
    services, mounted
):
    created = await services.referral.post("/v1/referrals", json=unique_identity(), headers=LA)
    pupil_id = created.json()["pupil_id"]
    for role, scope in (("school", {"urn": "123456"}), ("auditor", {}), ("analyst", {})):
        refused = await services.referral.get(
            f"/v1/pupils/{pupil_id}/subject-access", headers=token(role, **scope)
        )
        assert refused.status_code == 403, role
        held = await services.placement.get(
            f"/v1/pupils/{pupil_id}/held-data", headers=token(role, **scope)
        )
        assert held.status_code == 403, role
    unknown = await services.referral.get(f"/v1/pupils/{uuid.uuid4()}/subject-access", headers=LA)
    assert unknown.status_code == 404

    reporting_url = services.apps["referral"].state.settings.reporting_url
    mounted.state.held_data_mounts[reporting_url] = httpx.MockTransport(
        lambda request: httpx.Response(500)
    )
    down = await services.referral.get(f"/v1/pupils/{pupil_id}/subject-access", headers=LA)
    assert down.status_code == 503
    assert "reporting" in down.json()["detail"] and down.headers["retry-after"] == "5"
