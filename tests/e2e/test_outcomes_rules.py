"""Outcome rules at the HTTP edge, through the real running services."""

import uuid

from tests.e2e.support.journeys import LA, placed_pupil, retrying
from tests.e2e.support.platform import token


def review_body(placement_id: str, **overrides) -> dict:
    return {
        "placement_id": placement_id,
        "reviewed_on": "2026-10-20",
        "attendance": {"possible_sessions": 56, "attended_sessions": 40},
        "progress": "expected",
        "outcome": "continue",
        **overrides,
    }


def fields_of(answer) -> set[str]:
    return {e["field"] for e in answer.json().get("errors", [])}


async def test_a_review_attending_more_than_possible_is_refused(services):
    answer = await services.outcomes.post(
        "/v1/reviews",
        json=review_body(
            str(uuid.uuid4()), attendance={"possible_sessions": 10, "attended_sessions": 11}
        ),
        headers=LA,
    )
    assert answer.status_code == 422, answer.text
    assert "attendance.attended_sessions" in fields_of(answer)
    assert "retry-after" not in answer.headers


async def test_a_review_of_an_unknown_placement_asks_for_a_retry(services):
    answer = await services.outcomes.post(
        "/v1/reviews", json=review_body(str(uuid.uuid4())), headers=LA
    )
    assert answer.status_code == 409, answer.text
    assert answer.headers["retry-after"] == "1"
    assert fields_of(answer) == {"placement_id"}


async def test_a_review_before_the_placement_started_is_a_rule_violation(services):
    placement = await placed_pupil(services)
    early = await retrying(lambda: services.outcomes.post(
        "/v1/reviews",
        json=review_body(placement["placement_id"], reviewed_on="2026-09-13"),
        headers=LA,
    ))  # fmt: skip
    assert early.status_code == 409, early.text
    assert "retry-after" not in early.headers
    assert fields_of(early) == {"reviewed_on"}
    on_start = await services.outcomes.post(
        "/v1/reviews",
        json=review_body(placement["placement_id"], reviewed_on="2026-09-14"),
        headers=LA,
    )
    assert on_start.status_code == 201, on_start.text
    assert on_start.json()["pupil_id"] == placement["pupil_id"]


async def test_a_sustainment_check_before_its_reintegration_is_refused(services):
    placement = await placed_pupil(services)
    ended = await services.placement.post(
        f"/v1/placements/{placement['placement_id']}/end",
        json={"end_date": "2027-02-01", "reason": "reintegrated"},
        headers=LA,
    )
    assert ended.status_code == 200, ended.text
    back = await retrying(lambda: services.outcomes.post(
        "/v1/reintegrations",
        json={"pupil_id": placement["pupil_id"], "placement_id": placement["placement_id"],
              "school_urn": "654321", "reintegrated_on": "2027-02-08", "mode": "phased"},
        headers=LA,
    ))  # fmt: skip
    assert back.status_code == 201, back.text
    url = f"/v1/reintegrations/{back.json()['reintegration_id']}/sustainment"

    for checked_on in ("2027-02-01", "2027-02-08"):
        early = await services.outcomes.post(
            url, json={"checked_on": checked_on, "sustained": True}, headers=LA
        )
        assert early.status_code == 422, early.text
        assert fields_of(early) == {"checked_on"}
    later = await services.outcomes.post(
        url, json={"checked_on": "2027-05-10", "sustained": True}, headers=LA
    )
    assert later.status_code == 200, later.text
    assert later.json()["sustained"] is True


async def test_a_sustainment_check_of_an_unknown_reintegration_is_not_found(services):
    answer = await services.outcomes.post(
        f"/v1/reintegrations/{uuid.uuid4()}/sustainment",
        json={"checked_on": "2027-05-10", "sustained": False},
        headers=LA,
    )
    assert answer.status_code == 404, answer.text
    assert "retry-after" not in answer.headers


async def test_a_destination_code_outside_the_code_set_is_refused(services):
    answer = await services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": str(uuid.uuid4()), "activity_code": 500, "confirmed_on": "2028-09-30"},
        headers=LA,
    )
    assert answer.status_code == 422, answer.text
    assert fields_of(answer) == {"activity_code"}


async def test_a_pre16_destination_code_is_refused_saying_why(services):
    answer = await services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": str(uuid.uuid4()), "activity_code": 130, "confirmed_on": "2028-09-30"},
        headers=LA,
    )
    assert answer.status_code == 422, answer.text
    assert fields_of(answer) == {"activity_code"}
    assert "pre-16" in answer.text and "custodial sentence" in answer.text


async def test_a_destination_for_an_unknown_pupil_asks_for_a_retry(services):
    answer = await services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": str(uuid.uuid4()), "activity_code": 210, "confirmed_on": "2028-09-30"},
        headers=LA,
    )
    assert answer.status_code == 409, answer.text
    assert answer.headers["retry-after"] == "1"
    assert fields_of(answer) == {"pupil_id"}


async def test_a_provider_cannot_confirm_a_destination(services):
    provider = token("provider", provider_id=str(uuid.uuid4()))
    answer = await services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": str(uuid.uuid4()), "activity_code": 210, "confirmed_on": "2028-09-30"},
        headers=provider,
    )
    assert answer.status_code == 403, answer.text
    school = await services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": str(uuid.uuid4()), "activity_code": 210, "confirmed_on": "2028-09-30"},
        headers=token("school", urn="123456"),
    )
    assert school.status_code == 403, school.text


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
