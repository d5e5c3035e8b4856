"""Rate limits at the HTTP edge: failed authentications per address, writes per principal."""

from tests.support.platform import RUN, build, referral_body, running, token


async def test_failed_authentication_and_writes_are_rate_limited(infra):
    app = build(
        "referral", infra, database_name=f"ap_referral_limits_{RUN}",
        rate_limit_auth_failures_per_minute=1, rate_limit_auth_failures_burst=2,
        rate_limit_writes_per_minute=1, rate_limit_writes_burst=3,
    )  # fmt: skip
    async with running(app) as client:
        la, school = token(), token("school", urn="123456")
        for _ in range(3):
            created = await client.post("/v1/referrals", json=referral_body(), headers=la)
            assert created.status_code == 201, created.text
        limited = await client.post("/v1/referrals", json=referral_body(), headers=la)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) >= 1
        unknown = "/v1/referrals/00000000-0000-4000-8000-000000000000"
        assert (await client.get(unknown, headers=la)).status_code == 404  # reads are not writes
        mine = referral_body(referrer={"kind": "school", "urn": "123456"})
        assert (await client.post("/v1/referrals", json=mine, headers=school)).status_code == 201

        bad = {"Authorization": "Bearer not-a-token"}
        assert (await client.get("/v1/referrals/x", headers=bad)).status_code == 401
        assert (await client.get("/v1/referrals/x")).status_code == 401
        blocked = await client.get(unknown, headers=la)
        assert blocked.status_code == 429  # the address is blocked, whatever token it shows now
        assert int(blocked.headers["retry-after"]) >= 1
