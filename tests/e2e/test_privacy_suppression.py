"""Small numbers over HTTP: an analyst's caseload of a school with two pupils is suppressed;
the LA officer's is not."""

from tests.e2e.support.journeys import LA, accepted_referral
from tests.support.platform import token


async def test_caseload_counts_under_five_are_null_for_analysts_only(services, helpers, wait):
    school = helpers.random_urn()
    for _ in range(2):
        await accepted_referral(services, home_school_urn=school)

    async def both_counted():
        r = await services.reporting.get("/v1/caseload", params={"school_urn": school}, headers=LA)
        return r.json()["by_status"] == {"accepted": 2} and r.json()

    officer = await wait(both_counted)
    assert officer["total"] == 2 and officer["suppressed"] is False
    for role in ("analyst", "auditor"):
        r = await services.reporting.get(
            "/v1/caseload", params={"school_urn": school}, headers=token(role)
        )
        assert r.status_code == 200
        body = r.json()
        assert (body["total"], body["by_status"], body["by_tier"]) == (
            None, {"accepted": None}, {"2": None},
        )  # fmt: skip
        assert body["suppressed"] is True
        assert body["suppressed_fields"] == ["total", "by_status.accepted", "by_tier.2"]
