"""A placement whose cost is not known: journey.pupil.placed.v2, read by every consumer,
and counted apart in every cost report instead of as free."""

from ap_schemas import topics

from tests.e2e.support.journeys import LA, accepted_referral, new_provider, placement_body, retrying
from tests.support.platform import random_urn


async def test_a_placement_without_cost_is_v2_and_counted_apart(services, wait, topic_reader):
    urn = random_urn()
    provider_id = await new_provider(services)
    referral = await accepted_referral(services)
    body = placement_body(
        referral["referral_id"], provider_id, commissioner={"kind": "school", "urn": urn}
    )
    del body["cost"]
    placed = await retrying(
        lambda: services.placement.post("/v1/placements", json=body, headers=LA)
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["annual_cost_pence"] is None
    placement_id = placed.json()["placement_id"]
    shown = await services.placement.get(f"/v1/placements/{placement_id}", headers=LA)
    assert shown.json()["cost"] is None

    records = await wait(lambda: topic_reader(topics.PLACEMENTS, key=referral["pupil_id"]))
    assert [dict(r.headers)["ce_type"] for r in records] == [b"journey.pupil.placed.v2"]

    # outcomes' replica accepts v2: a review of the placement is taken
    review = await retrying(lambda: services.outcomes.post("/v1/reviews", json={
        "placement_id": placement_id, "reviewed_on": "2026-10-20",
        "attendance": {"possible_sessions": 10, "attended_sessions": 9},
        "progress": "expected", "outcome": "continue",
    }, headers=LA))  # fmt: skip
    assert review.status_code == 201, review.text

    async def costs():
        answer = await services.reporting.get(
            "/v1/costs", params={"from": "2026-09-01", "to": "2026-09-30"}, headers=LA
        )
        rows = {r["key"]: r for r in answer.json()["rows"]}
        return rows.get(f"school:{urn}") and answer.json()

    answer = await wait(costs)
    row = next(r for r in answer["rows"] if r["key"] == f"school:{urn}")
    assert row == {"key": f"school:{urn}", "placements": 1, "pupils": 1, "cost_pence": 0,
                   "placements_cost_unknown": 1}  # fmt: skip
    assert answer["placements_cost_unknown"] >= 1
    timeline = await services.reporting.get(
        f"/v1/pupils/{referral['pupil_id']}/timeline", headers=LA
    )
    assert timeline.json()["status"] == "placed"
