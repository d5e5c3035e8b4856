"""A change of a provider's registration: placement records it as an event, reporting
applies the latest to the details its reports and the AP census read; on the real broker and
database."""

import json
import uuid

from ap_schemas import topics
from ap_schemas.events import ProviderRegisteredV1, ProviderRegistrationChangedV1

from tests.e2e.support.journeys import encoded, new_provider, produce
from tests.support.platform import token

LA = token()


async def reporting_details(services, provider_id: str) -> dict | None:
    async with services.apps["reporting"].state.runtime.pool.acquire() as conn:
        details = await conn.fetchval(
            "SELECT details FROM providers WHERE provider_id = $1", uuid.UUID(provider_id)
        )
    return json.loads(details) if isinstance(details, str) else details


async def test_a_change_of_registration_reaches_placement_and_reporting(
    services, topic_reader, wait
):
    provider_id = await new_provider(services)  # registered False, no URN
    url = f"/v1/providers/{provider_id}/registration"
    answer = await services.placement.post(
        url, json={"registered": True, "ofsted_urn": "148123", "changed_on": "2026-10-01"},
        headers=LA,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    event_ids = answer.json()["event_ids"]
    profile = (await services.placement.get(f"/v1/providers/{provider_id}", headers=LA)).json()
    assert profile["registered"] is True and profile["urn"] == "148123"

    async def changes():
        records = await topic_reader(topics.PROVIDERS, key=provider_id)
        return [
            e for e in (json.loads(r.value) for r in records)
            if e["type"] == "journey.provider.registration_changed.v1"
        ]  # fmt: skip

    [event] = await wait(changes)
    assert event["id"] in event_ids
    assert event["data"]["registered"] is True and event["data"]["ofsted_urn"] == "148123"
    assert event["data"]["occurred_at"] == "2026-10-01"

    async def registered_in_reporting():
        details = await reporting_details(services, provider_id)
        return details and details["registered"] is True and details

    details = await wait(registered_in_reporting)
    assert details["urn"] == "148123"  # the AP census's provider_urn

    later = await services.placement.post(
        url, json={"registered": False, "changed_on": "2027-01-05"}, headers=LA
    )
    assert later.status_code == 201, later.text

    async def deregistered_in_reporting():
        details = await reporting_details(services, provider_id)
        return details and details["registered"] is False and details

    await wait(deregistered_in_reporting)
    profile = (await services.placement.get(f"/v1/providers/{provider_id}", headers=LA)).json()
    assert profile["registered"] is False


async def test_a_change_arriving_before_the_registration_is_applied_when_it_comes(
    services, infra, wait
):
    provider_id = uuid.uuid4()
    change = ProviderRegistrationChangedV1(
        occurred_at="2026-10-01", provider_id=provider_id, registered=True, ofsted_urn="150001"
    )
    registration = ProviderRegisteredV1(
        occurred_at="2026-08-01", provider_id=provider_id, name="Out Of Order",
        setting_type="OOT", registered=False,
    )  # fmt: skip
    for data in (change, registration):
        await produce(infra.kafka_bootstrap_servers, topics.PROVIDERS, str(provider_id),
                      encoded(data))  # fmt: skip

    async def latest():
        details = await reporting_details(services, str(provider_id))
        return details and details["registered"] is True and details

    details = await wait(latest)
    assert details["urn"] == "150001" and details["name"] == "Out Of Order"


async def test_bad_registration_input_is_422_naming_the_field(services):
    provider_id = await new_provider(services)
    url = f"/v1/providers/{provider_id}/registration"

    async def field_of(body):
        answer = await services.placement.post(url, json=body, headers=LA)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        return answer.json()["errors"][0]["field"]

    assert await field_of({"registered": True, "changed_on": "2026-10-01"}) == "ofsted_urn"
    bad_urn = {"registered": True, "ofsted_urn": "12345", "changed_on": "2026-10-01"}
    assert (await field_of(bad_urn)).endswith("ofsted_urn")
    assert (await field_of({"registered": False})).endswith("changed_on")
    assert (await field_of({"ofsted_urn": "148123", "changed_on": "2026-10-01"})).endswith(
        "registered"
    )
    unknown = await services.placement.post(
        f"/v1/providers/{uuid.uuid4()}/registration",
        json={"registered": False, "changed_on": "2026-10-01"}, headers=LA,
    )  # fmt: skip
    assert unknown.status_code == 404
    school = token("school", urn="100001")
    refused = await services.placement.post(
        url, json={"registered": False, "changed_on": "2026-10-01"}, headers=school
    )
    assert refused.status_code == 403
