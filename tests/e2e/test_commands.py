"""Command semantics at the HTTP edge: idempotency, auth, validation, rule violations."""

from ap_schemas import topics


async def test_same_idempotency_key_records_once_and_answers_the_same(
    services, helpers, topic_reader, wait
):
    body = helpers.referral_body()
    headers = {**helpers.token(), "Idempotency-Key": "retry-" + body["upn"]}
    first = await services.referral.post("/v1/referrals", json=body, headers=headers)
    second = await services.referral.post("/v1/referrals", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()

    pupil_id = first.json()["pupil_id"]
    await wait(lambda: topic_reader(topics.REFERRALS, key=pupil_id))
    records = await topic_reader(topics.REFERRALS, key=pupil_id)
    assert len(records) == 1

    different = await services.referral.post(
        "/v1/referrals", json={**body, "tier_requested": 3}, headers=headers
    )
    assert different.status_code == 422
    assert different.headers["content-type"] == "application/problem+json"
    assert different.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_concurrent_retries_with_one_key_record_one_referral(services, helpers):
    import asyncio

    body = helpers.referral_body()
    headers = {**helpers.token(), "Idempotency-Key": "race-" + body["upn"]}
    answers = await asyncio.gather(
        *(services.referral.post("/v1/referrals", json=body, headers=headers) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["referral_id"] for a in answers}) == 1


async def test_no_token_is_401_and_wrong_role_is_403(services, helpers):
    body = helpers.referral_body()
    none = await services.referral.post("/v1/referrals", json=body)
    assert none.status_code == 401
    assert none.json()["status"] == 401
    bad = await services.referral.post(
        "/v1/referrals", json=body, headers={"Authorization": "Bearer not-a-jwt"}
    )
    assert bad.status_code == 401
    analyst = await services.referral.post(
        "/v1/referrals", json=body, headers=helpers.token("analyst")
    )
    assert analyst.status_code == 403
    timeline = await services.reporting.get(
        "/v1/pupils/00000000-0000-4000-8000-000000000000/timeline", headers=helpers.token("analyst")
    )
    assert timeline.status_code == 403


async def test_health_needs_no_token(services):
    for client in services.clients.values():
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert (await client.get("/metrics")).status_code == 200


async def test_malformed_body_is_422_naming_each_bad_field(services, helpers):
    body = helpers.referral_body(
        upn="A801200005001",  # wrong check letter
        sex="X",
        tier_requested=5,
        referrer={"kind": "school"},  # a school needs its urn
    )
    del body["surname"]
    answer = await services.referral.post("/v1/referrals", json=body, headers=helpers.token())
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"upn", "sex", "tier_requested", "surname", "referrer"} <= fields
    upn_error = next(e for e in answer.json()["errors"] if e["field"] == "upn")
    assert "check letter" in upn_error["message"]


async def test_bad_la_code_is_422(services, helpers):
    from ap_schemas.upn import check_letter

    body = "999200005001"
    answer = await services.referral.post(
        "/v1/referrals",
        json=helpers.referral_body(upn=check_letter(body) + body),
        headers=helpers.token(),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "upn"


async def test_permanent_exclusion_without_date_names_the_field(services, helpers):
    answer = await services.referral.post(
        "/v1/referrals",
        json=helpers.referral_body(reason="permanent_exclusion"),
        headers=helpers.token(),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "excluded_on", "message": answer.json()["detail"]}]


async def test_second_decision_is_409_and_unknown_referral_404(services, helpers):
    created = (
        await services.referral.post(
            "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
        )
    ).json()
    url = f"/v1/referrals/{created['referral_id']}/decision"
    decision = {"decision": "declined", "decided_on": "2026-09-08", "reason": "no place"}
    assert (
        await services.referral.post(url, json=decision, headers=helpers.token())
    ).status_code == 200
    again = await services.referral.post(
        url, json={"decision": "accepted", "decided_on": "2026-09-09"}, headers=helpers.token()
    )
    assert again.status_code == 409
    missing = await services.referral.get(
        "/v1/referrals/00000000-0000-4000-8000-000000000000", headers=helpers.token()
    )
    assert missing.status_code == 404


async def test_school_scope_on_referrals(services, helpers):
    urn = helpers.random_urn()
    school = helpers.token("school", urn=urn)
    other = helpers.token("school", urn=helpers.random_urn())
    as_other_school = await services.referral.post(
        "/v1/referrals",
        json=helpers.referral_body(referrer={"kind": "school", "urn": helpers.random_urn()}),
        headers=school,
    )
    assert as_other_school.status_code == 403
    created = await services.referral.post(
        "/v1/referrals",
        json=helpers.referral_body(referrer={"kind": "school", "urn": urn}),
        headers=school,
    )
    assert created.status_code == 201
    url = f"/v1/referrals/{created.json()['referral_id']}"
    own = await services.referral.get(url, headers=school)
    assert own.status_code == 200 and own.json()["referrer"]["urn"] == urn
    assert (await services.referral.get(url, headers=other)).status_code == 404


async def test_withdrawal(services, helpers, wait):
    created = (
        await services.referral.post(
            "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
        )
    ).json()
    url = f"/v1/referrals/{created['referral_id']}/withdrawal"
    answer = await services.referral.post(
        url, json={"withdrawn_on": "2026-09-10", "reason": "moved school"}, headers=helpers.token()
    )
    assert answer.status_code == 200 and answer.json()["status"] == "withdrawn"
    again = await services.referral.post(
        url, json={"withdrawn_on": "2026-09-11", "reason": "x"}, headers=helpers.token()
    )
    assert again.status_code == 409

    async def withdrawn():
        r = await services.reporting.get(
            f"/v1/pupils/{created['pupil_id']}/timeline", headers=helpers.token()
        )
        return r.status_code == 200 and r.json()["status"] == "withdrawn"

    await wait(withdrawn)


async def test_metrics_report_outbox_events_and_consumer_lag(services, helpers, wait):
    await services.referral.post(
        "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
    )

    async def published():
        text = (await services.referral.get("/metrics")).text
        return "journey_outbox_published_total" in text and text

    text = await wait(published)
    assert "journey_outbox_backlog" in text
    reporting = (await services.reporting.get("/metrics")).text
    assert (
        'journey_events_applied_total{consumer="journey",type="journey.pupil.referred.v1"}'
        in reporting
    )
    assert 'journey_consumer_lag{consumer="journey",partition=' in reporting
