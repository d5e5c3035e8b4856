"""Per-provider outcomes and sufficiency through reporting, on the real broker and
database: provider events held until the provider arrives, suppression for exports."""

import uuid

from ap_schemas import topics
from ap_schemas.envelope import Actor
from ap_schemas.events import ProviderCapacitySetV1, ProviderRegisteredV1

from tests.e2e.support.journeys import encoded, placed_pupil, produce
from tests.support.platform import token

LA = token()
ACTOR = Actor(system="test", user_id="t")
PERIOD = {"from": "2026-09-01", "to": "2026-12-31"}


async def test_provider_events_before_the_registration_are_held(services, infra, wait):
    provider_id = uuid.uuid4()
    capacity = ProviderCapacitySetV1(
        occurred_at="2026-09-01", provider_id=provider_id, tier=2, phase="secondary", places=7,
        effective_from="2026-09-01",
    )  # fmt: skip
    await produce(infra.kafka_bootstrap_servers, topics.PROVIDERS, str(provider_id),
                  encoded(capacity))  # fmt: skip
    url = f"/v1/providers/{provider_id}/outcomes"

    async def sufficiency_supply():
        answer = await services.reporting.get("/v1/sufficiency", params=PERIOD, headers=LA)
        return [s for s in answer.json()["supply"] if s["provider_id"] == str(provider_id)]

    # not registered here yet: unknown, and its capacity not yet counted, but not lost
    assert (await services.reporting.get(url, params=PERIOD, headers=LA)).status_code == 404
    assert await sufficiency_supply() == []
    registration = ProviderRegisteredV1(
        occurred_at="2026-08-01", provider_id=provider_id, name="Late Arrivals",
        setting_type="OOT", registered=False,
    )  # fmt: skip
    await produce(infra.kafka_bootstrap_servers, topics.PROVIDERS, str(provider_id),
                  encoded(registration))  # fmt: skip
    supply = await wait(sufficiency_supply)
    assert supply == [{"provider_id": str(provider_id), "tier": 2, "phase": "secondary",
                       "places_offered": 7, "places_used": 0, "pupils": 0}]  # fmt: skip
    shown = await services.reporting.get(url, params=PERIOD, headers=LA)
    assert shown.status_code == 200 and shown.json()["name"] == "Late Arrivals"


async def test_provider_outcomes_for_the_la_and_suppressed_for_exports(services, wait):
    provider_id = (await placed_pupil(services))["provider_id"]
    url = f"/v1/providers/{provider_id}/outcomes"

    async def figures():
        answer = await services.reporting.get(url, params=PERIOD, headers=LA)
        return answer.status_code == 200 and answer.json()["placements"]["pupils"] == 1 and answer

    la = (await wait(figures)).json()
    # 14 September to 31 December: 109 days of 2,028,000 a year
    assert la["placements"] == {"pupils": 1, "pupil_days": 109}
    assert la["cost"]["cost_pence"] == round(2_028_000 * 109 / 365)
    assert "suppressed" not in la["cost"]

    analyst = await services.reporting.get(url, params=PERIOD, headers=token("analyst"))
    assert analyst.status_code == 200
    assert analyst.json()["cost"] == {"pupils": None, "cost_pence": None,
                                      "per_pupil_week_pence": None, "suppressed": True}  # fmt: skip
    assert analyst.json()["suppressed_below_pupils"] == 5
    csv_answer = await services.reporting.get(url, params={**PERIOD, "format": "csv"}, headers=LA)
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert "cost.suppressed,True" in csv_answer.text
    assert str(la["cost"]["cost_pence"]) not in csv_answer.text

    other = token("provider", provider_id=str(uuid.uuid4()))
    assert (await services.reporting.get(url, params=PERIOD, headers=other)).status_code == 404
    school = token("school", urn="123456")
    assert (await services.reporting.get(url, params=PERIOD, headers=school)).status_code == 403
    backwards = await services.reporting.get(
        url, params={"from": "2026-12-31", "to": "2026-09-01"}, headers=LA
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"

    sufficiency = await services.reporting.get("/v1/sufficiency", params=PERIOD, headers=LA)
    assert sufficiency.status_code == 200
    used = [s for s in sufficiency.json()["supply"] if s["provider_id"] == provider_id]
    # the test referral's pupil was born 2012-03-04: Year 10 on 31 December 2026
    assert used == [{"provider_id": provider_id, "tier": 2, "phase": "secondary",
                     "places_offered": None, "places_used": 1, "pupils": 1}]  # fmt: skip
