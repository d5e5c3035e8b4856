"""The whole journey through the four HTTP APIs, eventual consistency, and many pupils at once."""

import asyncio
import uuid
from collections import Counter

from ap_schemas import topics

from tests.e2e.support.journeys import (
    LA,
    accepted,
    accepted_referral,
    new_provider,
    placement_body,
    produce,
    referred,
    retrying,
)
from tests.support.platform import referral_body, token


async def test_the_whole_journey_end_to_end(services, wait):
    provider_id = await new_provider(services)
    referral = await accepted_referral(services)
    pupil_id = referral["pupil_id"]

    placed = await retrying(lambda: services.placement.post(
        "/v1/placements", json=placement_body(referral["referral_id"], provider_id), headers=LA
    ))  # fmt: skip
    assert placed.status_code == 201, placed.text
    placement_id = placed.json()["placement_id"]
    assert placed.json()["annual_cost_pence"] == 6500 * 8 * 39

    for reviewed_on, attended in (("2026-10-20", 40), ("2026-12-01", 50)):
        review = await retrying(lambda d=reviewed_on, a=attended: services.outcomes.post(
            "/v1/reviews",
            json={"placement_id": placement_id, "reviewed_on": d,
                  "attendance": {"possible_sessions": 56, "attended_sessions": a},
                  "progress": "expected", "outcome": "continue"},
            headers=LA,
        ))  # fmt: skip
        assert review.status_code == 201, review.text

    ended = await services.placement.post(
        f"/v1/placements/{placement_id}/end",
        json={"end_date": "2027-03-31", "reason": "reintegrated"},
        headers=LA,
    )
    assert ended.status_code == 200, ended.text
    reintegrated = await retrying(lambda: services.outcomes.post(
        "/v1/reintegrations",
        json={"pupil_id": pupil_id, "placement_id": placement_id, "school_urn": "654321",
              "reintegrated_on": "2027-04-12", "mode": "phased"},
        headers=LA,
    ))  # fmt: skip
    assert reintegrated.status_code == 201, reintegrated.text
    reintegration_id = reintegrated.json()["reintegration_id"]
    sustained = await services.outcomes.post(
        f"/v1/reintegrations/{reintegration_id}/sustainment",
        json={"checked_on": "2027-07-12", "sustained": True},
        headers=LA,
    )
    assert sustained.status_code == 200, sustained.text
    destination = await retrying(lambda: services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": pupil_id, "activity_code": 210, "confirmed_on": "2028-09-30"},
        headers=LA,
    ))  # fmt: skip
    assert destination.status_code == 201, destination.text
    assert destination.json()["group"] == "education_training"

    async def complete():
        r = await services.reporting.get(f"/v1/pupils/{pupil_id}/timeline", headers=LA)
        return r.status_code == 200 and len(r.json()["events"]) == 9 and r.json()

    timeline = await wait(complete, timeout=30)
    assert timeline["status"] == "destination_confirmed"
    assert [e["type"] for e in timeline["events"]] == [
        "journey.pupil.referred.v1",
        "journey.referral.decided.v1",
        "journey.pupil.placed.v1",
        "journey.placement.reviewed.v1",
        "journey.placement.reviewed.v1",
        "journey.placement.ended.v1",
        "journey.pupil.reintegrated.v1",
        "journey.reintegration.sustainment_checked.v1",
        "journey.destination.confirmed.v1",
    ]
    occurred = [e["occurred_at"] for e in timeline["events"]]
    assert occurred == sorted(occurred)
    # a destination answers its group from the code and its sustained flag, worked out on read
    assert timeline["events"][-1]["derived"] == {"group": "education_training", "sustained": False}
    assert all("derived" not in e for e in timeline["events"][:-1])
    placed_event = timeline["events"][2]["data"]
    assert placed_event["commissioner"] == {"kind": "local_authority", "urn": None}
    assert placed_event["provider_id"] == provider_id
    assert placed_event["cost"] == {"amount_pence": 6500, "per": "session"}

    # what it cost: 2,028,000 a year x 199 days (14 Sept to 31 March) / 365, to the penny
    costs = await services.reporting.get(
        "/v1/costs", params={"from": "2026-09-01", "to": "2027-08-31", "by": "provider"},
        headers=LA,  # analysts see counts under 5 suppressed (test_privacy_suppression.py)
    )  # fmt: skip
    assert costs.status_code == 200, costs.text
    (row,) = [r for r in costs.json()["rows"] if r["key"] == provider_id]
    assert row == {"key": provider_id, "placements": 1, "pupils": 1, "cost_pence": 1_105_677,
                   "placements_cost_unknown": 0}  # fmt: skip


async def test_placement_waits_for_the_referral_decision_then_succeeds(services, infra):
    """409 + Retry-After while placement has not heard of the referral; 201 once it has."""
    provider_id = await new_provider(services)
    pupil_id, referral_id = uuid.uuid4(), uuid.uuid4()
    body = placement_body(str(referral_id), provider_id)

    early = await services.placement.post("/v1/placements", json=body, headers=LA)
    assert early.status_code == 409
    assert early.headers["retry-after"] == "1"
    assert early.json()["errors"][0]["field"] == "referral_id"

    await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        str(pupil_id),
        referred(pupil_id, referral_id, "111111"),
    )
    undecided = await services.placement.post("/v1/placements", json=body, headers=LA)
    assert undecided.status_code == 409  # not heard of, or not yet decided: worth a retry
    assert undecided.headers["retry-after"] == "1"

    await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        str(pupil_id),
        accepted(pupil_id, referral_id),
    )
    placed = await retrying(
        lambda: services.placement.post("/v1/placements", json=body, headers=LA)
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["pupil_id"] == str(pupil_id)


async def test_placement_rules_at_the_edge(services):
    provider_id = await new_provider(services)
    referral = await accepted_referral(services)
    body = placement_body(referral["referral_id"], provider_id)
    first = await retrying(lambda: services.placement.post("/v1/placements", json=body, headers=LA))
    assert first.status_code == 201, first.text
    second = await services.placement.post(
        "/v1/placements", json={**body, "start_date": "2026-10-01"}, headers=LA
    )
    assert second.status_code == 409
    assert "open placement" in second.json()["detail"]

    invalid = await services.placement.post(
        "/v1/placements",
        json={**body, "tier": 4, "sessions_per_week": 11, "commissioner": {"kind": "school"},
              "cost": {"amount_pence": 0, "per": "week"}},
        headers=LA,
    )  # fmt: skip
    assert invalid.status_code == 422
    fields = {e["field"] for e in invalid.json()["errors"]}
    assert {"tier", "sessions_per_week", "cost.amount_pence", "commissioner"} <= fields

    unknown_provider = await services.placement.post(
        "/v1/placements", json={**body, "provider_id": str(uuid.uuid4())}, headers=LA
    )
    assert unknown_provider.status_code == 404

    end_url = f"/v1/placements/{first.json()['placement_id']}/end"
    early_end = await services.placement.post(
        end_url, json={"end_date": "2026-09-01", "reason": "completed"}, headers=LA
    )
    assert early_end.status_code == 422
    assert early_end.json()["errors"][0]["field"] == "end_date"
    no_provider_id = await services.placement.post(
        "/v1/providers", json={"name": "Nameless", "registered": False}, headers=LA
    )
    assert no_provider_id.status_code == 422
    assert no_provider_id.json()["errors"][0]["field"] == "setting_type"


async def test_declined_referral_cannot_be_placed(services, wait):
    provider_id = await new_provider(services)
    created = (
        await services.referral.post("/v1/referrals", json=referral_body(), headers=LA)
    ).json()
    await services.referral.post(
        f"/v1/referrals/{created['referral_id']}/decision",
        json={"decision": "declined", "decided_on": "2026-09-08"},
        headers=LA,
    )
    answer = await retrying(lambda: services.placement.post(
        "/v1/placements", json=placement_body(created["referral_id"], provider_id), headers=LA
    ))  # fmt: skip
    assert answer.status_code == 409
    assert "retry-after" not in answer.headers
    assert "declined" in answer.json()["detail"]


STAGES = ("accepted", "placed", "placement_ended", "reintegrated", "destination_confirmed")


async def drive(services, provider_id: str, school: str, stage: str) -> str:
    referral = await accepted_referral(services, home_school_urn=school)
    pupil_id = referral["pupil_id"]
    if stage == "accepted":
        return pupil_id
    placed = await retrying(lambda: services.placement.post(
        "/v1/placements", json=placement_body(referral["referral_id"], provider_id), headers=LA
    ))  # fmt: skip
    assert placed.status_code == 201, placed.text
    if stage == "placed":
        return pupil_id
    ended = await services.placement.post(
        f"/v1/placements/{placed.json()['placement_id']}/end",
        json={"end_date": "2027-02-01", "reason": "completed"}, headers=LA,
    )  # fmt: skip
    assert ended.status_code == 200, ended.text
    if stage == "placement_ended":
        return pupil_id
    back = await retrying(lambda: services.outcomes.post(
        "/v1/reintegrations",
        json={"pupil_id": pupil_id, "school_urn": school, "reintegrated_on": "2027-02-08",
              "mode": "full_time"},
        headers=LA,
    ))  # fmt: skip
    assert back.status_code == 201, back.text
    if stage == "reintegrated":
        return pupil_id
    destination = await retrying(lambda: services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": pupil_id, "activity_code": 540, "confirmed_on": "2028-10-01"},
        headers=LA,
    ))  # fmt: skip
    assert destination.status_code == 201, destination.text
    return pupil_id


async def test_fifty_pupils_at_once_are_counted_exactly(services, helpers, wait):
    provider_id = await new_provider(services)
    school = helpers.random_urn()
    stages = [STAGES[i % len(STAGES)] for i in range(50)]
    await asyncio.gather(*(drive(services, provider_id, school, s) for s in stages))
    expected = dict(Counter(stages))

    async def exact():
        r = await services.reporting.get(
            "/v1/caseload", params={"school_urn": school}, headers=token("analyst")
        )
        return r.json()["by_status"] == expected and r.json()

    caseload = await wait(exact, timeout=60)
    assert caseload["total"] == 50
    assert caseload["by_tier"] == {"2": 50}
    only_placed = await services.reporting.get(
        "/v1/caseload", params={"school_urn": school, "status": "placed"}, headers=LA
    )
    assert only_placed.json()["total"] == expected["placed"]
    as_school = await services.reporting.get("/v1/caseload", headers=token("school", urn=school))
    assert as_school.json()["total"] == 50


async def test_outcomes_report_counts_a_period_exactly(services, helpers, wait):
    """A period no other test uses (2031/32), so the figures are this test's alone."""
    provider_id = await new_provider(services)
    pupils = []
    for sustained in (True, False):
        referral = await accepted_referral(
            services, referred_on="2031-09-01", decided_on="2031-09-02"
        )
        placed = await retrying(lambda r=referral: services.placement.post(
            "/v1/placements",
            json=placement_body(r["referral_id"], provider_id, start_date="2031-09-08",
                                planned_end_date=None),
            headers=LA,
        ))  # fmt: skip
        assert placed.status_code == 201, placed.text
        review = await retrying(lambda p=placed.json(): services.outcomes.post(
            "/v1/reviews",
            json={"placement_id": p["placement_id"], "reviewed_on": "2031-10-20",
                  "attendance": {"possible_sessions": 50, "attended_sessions": 45},
                  "progress": "expected", "outcome": "plan_reintegration"},
            headers=LA,
        ))  # fmt: skip
        assert review.status_code == 201, review.text
        back = await services.outcomes.post(
            "/v1/reintegrations",
            json={"pupil_id": referral["pupil_id"], "school_urn": "654321",
                  "reintegrated_on": "2031-11-03", "mode": "full_time"},
            headers=LA,
        )  # fmt: skip
        assert back.status_code == 201, back.text
        check = await services.outcomes.post(
            f"/v1/reintegrations/{back.json()['reintegration_id']}/sustainment",
            json={"checked_on": "2032-02-02", "sustained": sustained}, headers=LA,
        )  # fmt: skip
        assert check.status_code == 200, check.text
        pupils.append(referral["pupil_id"])
    destination = await retrying(lambda: services.outcomes.post(
        "/v1/destinations",
        json={"pupil_id": pupils[0], "activity_code": 820, "confirmed_on": "2032-03-01"},
        headers=LA,
    ))  # fmt: skip
    assert destination.status_code == 201, destination.text

    async def report():
        r = await services.reporting.get(
            "/v1/outcomes", params={"from": "2031-09-01", "to": "2032-08-31"},
            headers=LA,  # analysts see counts under 5 suppressed
        )  # fmt: skip
        body = r.json()
        done = body["destinations"]["not_known"] == 1 and body["reintegration"]["count"] == 2
        return done and body

    body = await wait(report)
    assert body["reintegration"] == {"count": 2, "sustained": 1}
    assert body["attendance"]["rate"] == 0.9
    assert body["destinations"] == {
        "education_training": 0, "employment": 0, "other_activity": 0, "neet": 0, "not_known": 1,
        "excluded": 0, "participation_rate": 0.0, "sustained": {"education_training": 0,
        "employment": 0}, "unrecognised": 0, "other": 0,
    }  # fmt: skip
    refused = await services.reporting.get(
        "/v1/outcomes", params={"from": "2032-01-01", "to": "2031-01-01"}, headers=LA
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "to"
    assert (await services.reporting.get(
        "/v1/costs", params={"from": "2031-09-01", "to": "2032-08-31"},
        headers=token("school", urn="123456"),
    )).status_code == 403  # fmt: skip


async def test_ap_census_lists_la_placements_open_on_the_day_and_records_the_read(
    services, helpers, wait
):
    provider = await services.placement.post(
        "/v1/providers", json={"name": "Hilltop AP", "ukprn": "10099999", "registered": True},
        headers=LA,
    )  # fmt: skip
    # born 2018: inside the 2033 census's birth range (the AP census returns only pupils in it)
    body = referral_body(referred_on="2032-09-01", home_school_urn="135790", sex="F",
                         date_of_birth="2018-03-04")  # fmt: skip
    referral = await accepted_referral(services, decided_on="2032-09-02", **body)
    placed = await retrying(lambda: services.placement.post(
        "/v1/placements",
        json=placement_body(referral["referral_id"], provider.json()["provider_id"],
                            start_date="2032-09-06", planned_end_date=None,
                            sessions_per_week=10),
        headers=LA,
    ))  # fmt: skip
    assert placed.status_code == 201, placed.text

    async def census_row():
        r = await services.reporting.get(
            "/v1/returns/ap-census",
            params={"census_date": "2033-01-20", "format": "csv"},
            headers=LA,
        )  # the CSV working file (XML is the default)
        lines = r.text.splitlines()
        return r.status_code == 200 and len(lines) > 1 and body["upn"] in r.text and r

    answer = await wait(census_row)
    assert answer.headers["content-type"].startswith("text/csv")
    import csv

    (row,) = [r for r in csv.DictReader(answer.text.splitlines()) if r["upn"] == body["upn"]]
    assert (row["surname"], row["sex"], row["date_of_birth"]) == ("Example", "F", "2018-03-04")
    assert (row["provider_ukprn"], row["provider_urn"], row["setting_type"]) == ("10099999", "", "")
    assert (row["entry_date"], row["leaving_date"], row["sessions_per_week"]) == (
        "2032-09-06",
        "",
        "10",
    )
    assert row["previous_school_urn"] == "135790"
    pool = services.apps["reporting"].state.runtime.pool
    reads = await pool.fetchval(
        "SELECT count(*) FROM identity_reads WHERE pupil_id = $1 AND purpose = $2",
        uuid.UUID(referral["pupil_id"]), "ap-census 2033-01-20",
    )  # fmt: skip
    assert reads >= 1
    analyst = await services.reporting.get(
        "/v1/returns/ap-census", params={"census_date": "2033-01-20"}, headers=token("analyst")
    )
    assert analyst.status_code == 403
