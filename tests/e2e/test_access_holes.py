"""Access holes once found (a stranger reading or acting on what it is not party to), each as it
was reproduced, through the real running services."""

import json
import uuid

from ap_schemas import topics

from tests.e2e.support.journeys import (
    LA,
    accepted_referral,
    new_provider,
    placed_pupil,
    placement_body,
    retrying,
)
from tests.support.platform import random_urn, referral_body, token


def school(urn: str) -> dict[str, str]:
    return token("school", urn=urn)


async def timeline(services, pupil_id: str, headers) -> dict | None:
    answer = await services.reporting.get(f"/v1/pupils/{pupil_id}/timeline", headers=headers)
    return answer.json() if answer.status_code == 200 else None


async def test_a_second_referral_by_upn_neither_widens_the_view_nor_overwrites_identity(
    services, wait, topic_reader
):
    a, b = random_urn(), random_urn()
    first_body = referral_body(
        referrer={"kind": "school", "urn": a}, home_school_urn=a, reason="permanent_exclusion",
        excluded_on="2026-09-04", surname="Original", postcode="YO1 7HH",
    )  # fmt: skip
    first = await services.referral.post("/v1/referrals", json=first_body, headers=school(a))
    assert first.status_code == 201, first.text
    pupil_id = first.json()["pupil_id"]
    assert "identity_change_id" not in first.json()
    await wait(lambda: timeline(services, pupil_id, school(a)))

    again_body = {**first_body, "referrer": {"kind": "school", "urn": b}, "home_school_urn": b,
                  "reason": "suspension", "excluded_on": None, "surname": "Changed",
                  "postcode": "LS1 1AA", "referred_on": "2026-09-01"}  # backdated  # fmt: skip
    again = await services.referral.post("/v1/referrals", json=again_body, headers=school(b))
    assert again.status_code == 201, again.text
    assert again.json()["pupil_id"] == pupil_id
    change_id = again.json()["identity_change_id"]

    async def b_sees_its_referral():
        seen = await timeline(services, pupil_id, school(b))
        return seen and seen["events"] and seen

    seen_by_b = await wait(b_sees_its_referral)
    assert [e["data"]["referral_id"] for e in seen_by_b["events"]] == [
        again.json()["referral_id"]
    ]  # never A's permanent exclusion
    seen_by_a = await timeline(services, pupil_id, school(a))
    assert again.json()["referral_id"] not in json.dumps(seen_by_a)

    # the register kept the first identity; the difference waits for an LA officer
    changes = await services.referral.get(f"/v1/pupils/{pupil_id}/identity-changes", headers=LA)
    assert changes.status_code == 200, changes.text
    [proposed] = changes.json()["changes"]
    assert proposed["status"] == "proposed"
    assert proposed["old"] == {"surname": "Original", "postcode": "YO1 7HH"}
    assert proposed["new"] == {"surname": "Changed", "postcode": "LS1 1AA"}
    identity = await topic_reader(topics.IDENTITY, key=pupil_id)
    assert [json.loads(r.value)["data"]["surname"] for r in identity] == ["Original"]

    apply = f"/v1/pupils/{pupil_id}/identity-changes/{change_id}/apply"
    assert (await services.referral.post(apply, headers=school(b))).status_code == 403
    assert (
        await services.referral.get(f"/v1/pupils/{pupil_id}/identity-changes", headers=school(a))
    ).status_code == 403
    applied = await services.referral.post(apply, headers=LA)
    assert applied.status_code == 200, applied.text
    assert (await services.referral.post(apply, headers=LA)).status_code == 409

    async def republished():
        records = await topic_reader(topics.IDENTITY, key=pupil_id)
        return [json.loads(r.value)["data"]["surname"] for r in records] == ["Original", "Changed"]

    await wait(republished)
    history = (
        await services.referral.get(f"/v1/pupils/{pupil_id}/identity-changes", headers=LA)
    ).json()["changes"]
    assert [(c["status"], c["old"]["surname"]) for c in history] == [("applied", "Original")]


async def test_only_the_la_or_the_placement_s_commissioner_or_provider_records_a_reintegration(
    services, wait
):
    referral = placed = await placed_pupil(services)
    receiving = random_urn()
    body = {"pupil_id": referral["pupil_id"], "placement_id": placed["placement_id"],
            "school_urn": receiving, "reintegrated_on": "2027-01-04", "mode": "phased"}  # fmt: skip
    refused = await retrying(
        lambda: services.outcomes.post("/v1/reintegrations", json=body, headers=school(receiving))
    )
    assert refused.status_code == 404, refused.text  # it may not know the pupil exists
    assert await timeline(services, referral["pupil_id"], school(receiving)) is None

    recorded = await services.outcomes.post("/v1/reintegrations", json=body, headers=LA)
    assert recorded.status_code == 201, recorded.text

    async def from_reintegration_onward():
        seen = await timeline(services, referral["pupil_id"], school(receiving))
        return seen and seen

    seen = await wait(from_reintegration_onward)
    assert [e["type"] for e in seen["events"]] == ["journey.pupil.reintegrated.v1"]
    assert seen["status"] == "reintegrated"


async def test_a_school_commissions_only_on_referrals_it_made(services, wait):
    provider_id = await new_provider(services)
    a, b = random_urn(), random_urn()
    referral = await accepted_referral(services, referrer={"kind": "school", "urn": a})
    as_b = placement_body(
        referral["referral_id"], provider_id, commissioner={"kind": "school", "urn": b}
    )
    refused = await retrying(
        lambda: services.placement.post("/v1/placements", json=as_b, headers=school(b))
    )
    assert refused.status_code == 404, refused.text
    by_la = await retrying(lambda: services.placement.post(
        "/v1/placements", json=placement_body(referral["referral_id"], provider_id), headers=LA
    ))  # fmt: skip
    assert by_la.status_code == 201, by_la.text
    # the LA's open placement is not named to another commissioner in a 409
    as_a = placement_body(
        referral["referral_id"], provider_id, commissioner={"kind": "school", "urn": a}
    )
    blocked = await services.placement.post("/v1/placements", json=as_a, headers=school(a))
    assert blocked.status_code == 409, blocked.text
    assert by_la.json()["placement_id"] not in blocked.text

    own = await accepted_referral(services, referrer={"kind": "school", "urn": a})
    mine = placement_body(
        own["referral_id"], provider_id, commissioner={"kind": "school", "urn": a}
    )
    placed = await retrying(
        lambda: services.placement.post("/v1/placements", json=mine, headers=school(a))
    )
    assert placed.status_code == 201, placed.text


async def test_decisions_are_the_la_s_and_keys_are_scoped_and_checked_before_replay(services):
    a, b = random_urn(), random_urn()
    created = await services.referral.post(
        "/v1/referrals",
        json=referral_body(referrer={"kind": "school", "urn": a}),
        headers=school(a),
    )
    referral_id = created.json()["referral_id"]
    decision = {"decision": "accepted", "decided_on": "2026-09-08"}
    own_decision = await services.referral.post(
        f"/v1/referrals/{referral_id}/decision", json=decision, headers=school(a)
    )
    assert own_decision.status_code == 403

    # both schools' tokens have the same subject ("school-user"): the key must not cross tenants
    withdrawal = {"withdrawn_on": "2026-09-09", "reason": "moved away"}
    path = f"/v1/referrals/{referral_id}/withdrawal"
    key = {"Idempotency-Key": f"withdraw-{uuid.uuid4()}"}
    withdrawn = await services.referral.post(path, json=withdrawal, headers=school(a) | key)
    assert withdrawn.status_code == 200, withdrawn.text
    replayed_to_b = await services.referral.post(path, json=withdrawal, headers=school(b) | key)
    assert replayed_to_b.status_code == 404, replayed_to_b.text
    assert created.json()["pupil_id"] not in replayed_to_b.text


async def test_a_provider_s_view_ends_with_its_own_placements(services, wait):
    first, second = await new_provider(services), await new_provider(services)
    referral = await accepted_referral(services)
    placed = await retrying(lambda: services.placement.post(
        "/v1/placements", json=placement_body(referral["referral_id"], first), headers=LA
    ))  # fmt: skip
    ended = await services.placement.post(
        f"/v1/placements/{placed.json()['placement_id']}/end",
        json={"end_date": "2026-11-01", "reason": "moved_provider"}, headers=LA,
    )  # fmt: skip
    assert ended.status_code == 200, ended.text
    later = await services.placement.post(
        "/v1/placements",
        json=placement_body(referral["referral_id"], second, start_date="2026-11-02"),
        headers=LA,
    )
    assert later.status_code == 201, later.text
    la_view = token()

    async def both_placed():
        seen = await timeline(services, referral["pupil_id"], la_view)
        kinds = [e["type"] for e in seen["events"]] if seen else []
        return kinds.count("journey.pupil.placed.v1") == 2

    await wait(both_placed)
    seen = await timeline(services, referral["pupil_id"], token("provider", provider_id=first))
    placements = [e["data"]["provider_id"] for e in seen["events"] if "provider_id" in e["data"]]
    assert placements == [first]
    assert later.json()["placement_id"] not in json.dumps(seen)
    assert seen["status"] == "placement_ended"
