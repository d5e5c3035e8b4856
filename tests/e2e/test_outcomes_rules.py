"""Outcome journeys through the real running services: a placement made at placement reaches
outcomes, and who may act on it there, with one Idempotency-Key recording once.

Rules a single command meets (bad attendance, unknown ids, dates, code sets, roles) are unit
tests of the outcomes service (`services/outcomes/tests/unit/`), with no platform.
"""

import uuid

from tests.e2e.support.journeys import LA, placed_pupil, retrying
from tests.support.platform import token


def review_body(placement_id: str, **overrides) -> dict:
    return {
        "placement_id": placement_id,
        "reviewed_on": "2026-10-20",
        "attendance": {"possible_sessions": 56, "attended_sessions": 40},
        "progress": "expected",
        "outcome": "continue",
        **overrides,
    }


async def test_the_same_idempotency_key_records_one_review(services):
    placement = await placed_pupil(services)
    body = review_body(placement["placement_id"])
    key = {"Idempotency-Key": f"review-{uuid.uuid4()}"}
    first = await retrying(
        lambda: services.outcomes.post("/v1/reviews", json=body, headers={**LA, **key})
    )
    assert first.status_code == 201, first.text
    again = await services.outcomes.post("/v1/reviews", json=body, headers={**LA, **key})
    assert again.status_code == 201, again.text
    assert again.json()["review_id"] == first.json()["review_id"]
    assert again.json()["event_ids"] == first.json()["event_ids"]

    other_key = {"Idempotency-Key": f"review-{uuid.uuid4()}"}
    fresh = await services.outcomes.post("/v1/reviews", json=body, headers={**LA, **other_key})
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["review_id"] != first.json()["review_id"]


async def test_a_provider_reviews_only_its_own_placements(services):
    placed = await placed_pupil(services)
    review = review_body(placed["placement_id"])
    own = token("provider", provider_id=placed["provider_id"])
    other = token("provider", provider_id=str(uuid.uuid4()))
    refused = await retrying(
        lambda: services.outcomes.post("/v1/reviews", json=review, headers=other)
    )
    assert refused.status_code == 404  # a stranger may not know the placement exists
    accepted = await services.outcomes.post("/v1/reviews", json=review, headers=own)
    assert accepted.status_code == 201, accepted.text


async def test_a_reintegration_is_recorded_by_the_la_or_the_placement_s_provider(services):
    """Not the receiving school: naming itself as `school_urn` makes it no party to it."""
    placed = await placed_pupil(services)
    body = {"pupil_id": placed["pupil_id"], "placement_id": placed["placement_id"],
            "school_urn": "654321", "reintegrated_on": "2027-01-04", "mode": "phased"}  # fmt: skip
    stranger = token("provider", provider_id=str(uuid.uuid4()))
    refused = await retrying(
        lambda: services.outcomes.post("/v1/reintegrations", json=body, headers=stranger)
    )
    assert refused.status_code == 404
    for urn in ("111111", "654321"):
        answer = await services.outcomes.post(
            "/v1/reintegrations", json=body, headers=token("school", urn=urn)
        )
        assert answer.status_code == 404
    provider = token("provider", provider_id=placed["provider_id"])
    recorded = await services.outcomes.post("/v1/reintegrations", json=body, headers=provider)
    assert recorded.status_code == 201, recorded.text
