"""The LA's identity rule: fields it lets a later referral change at once; the rest wait."""

from tests.support.platform import RUN, build, referral_body, running, token


async def test_only_the_fields_the_la_configured_apply_without_review(infra):
    app = build(
        "referral", infra, database_name=f"ap_referral_rule_{RUN}",
        JOURNEY_IDENTITY_AUTO_APPLY="postcode, fsm_eligible",
    )  # fmt: skip
    async with running(app) as client:
        la = token()
        first = referral_body(postcode="YO1 7HH", surname="Original")
        created = await client.post("/v1/referrals", json=first, headers=la)
        pupil_id = created.json()["pupil_id"]
        moved = await client.post(
            "/v1/referrals", json={**first, "postcode": "LS1 1AA"}, headers=la
        )
        assert moved.status_code == 201, moved.text
        assert moved.json()["identity_change"] == "applied"
        renamed = await client.post(
            "/v1/referrals", json={**first, "postcode": "LS1 1AA", "surname": "Changed"}, headers=la
        )
        assert renamed.json()["identity_change"] == "proposed"
        changes = (await client.get(f"/v1/pupils/{pupil_id}/identity-changes", headers=la)).json()[
            "changes"
        ]
        assert [(c["status"], c["old"], c["new"]) for c in changes] == [
            ("applied", {"postcode": "YO1 7HH"}, {"postcode": "LS1 1AA"}),
            ("proposed", {"surname": "Original"}, {"surname": "Changed"}),
        ]
