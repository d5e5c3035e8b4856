"""POST /v1/batches: NDJSON commands through each write service's own routes."""

import json

from tests.support.platform import referral_body, token

LA = token()


def ndjson(*lines) -> bytes:
    return "".join((json.dumps(x) if not isinstance(x, str) else x) + "\n" for x in lines).encode()


async def post_batch(client, content: bytes, headers=LA):
    return await client.post(
        "/v1/batches",
        content=content,
        headers={**headers, "Content-Type": "application/x-ndjson"},
    )


async def test_each_line_is_answered_in_order_with_the_single_command_semantics(services):
    body = referral_body()
    line = {"command": "/v1/referrals", "idempotency_key": "b-" + body["upn"], "body": body}
    bad_upn = {**line, "idempotency_key": "b2-" + body["upn"], "body": {**body, "upn": "A1"}}
    answer = await post_batch(
        services.referral,
        ndjson(line, "{not json", bad_upn, line, {"command": "/v1/batches", "body": {}}),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    results = [json.loads(x) for x in answer.text.splitlines()]
    assert [r["status"] for r in results] == [201, 422, 422, 201, 422]
    assert results[0]["body"] == results[3]["body"]  # same key, same answer, nothing new
    assert {e["field"] for e in results[2]["body"]["errors"]} == {"upn"}
    assert "not JSON" in results[1]["body"]["detail"]

    referral_id = results[0]["body"]["referral_id"]
    decision = {
        "command": f"/v1/referrals/{referral_id}/decision",
        "idempotency_key": "d-" + referral_id,
        "body": {"decision": "accepted", "decided_on": "2026-09-08"},
    }
    again = await post_batch(services.referral, ndjson(decision, decision))
    assert [json.loads(x)["status"] for x in again.text.splitlines()] == [200, 200]


async def test_the_callers_token_and_role_apply_to_every_line(services):
    line = {"command": "/v1/providers", "body": {"name": "X", "setting_type": "OTH",
                                                  "registered": False}}  # fmt: skip
    school = token("school", urn="123456")
    answer = await post_batch(services.placement, ndjson(line), headers=school)
    assert [json.loads(x)["status"] for x in answer.text.splitlines()] == [403]
    assert (await post_batch(services.placement, ndjson(line), headers={})).status_code == 401


async def test_more_than_a_thousand_lines_is_refused_whole(services):
    line = {"command": "/v1/reviews", "body": {}}
    answer = await post_batch(services.outcomes, ndjson(*([line] * 1001)))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body"
