"""Every event names a schema that resolves: reporting serves its `dataschema`, which fits it."""

import json
from urllib.parse import urlsplit

import pytest
from ap_schemas import codec
from ap_schemas.envelope import Actor
from ap_schemas.events import SPECS
from ap_schemas.export import DRAFT, HERE
from jsonschema import Draft202012Validator

EXAMPLES = HERE / "examples"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
async def test_dataschema_is_served_and_validates_the_event(services, spec):
    _, data = codec.decode((EXAMPLES / f"{spec.type}.json").read_bytes())
    event = codec.build(
        data, source="test", actor=Actor(system="test", user_id="u"), correlation_id="c"
    )
    url = urlsplit(event.dataschema)
    response = await services.reporting.get(url.path)  # no token: the contract is public
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/schema+json")
    schema = response.json()
    assert schema["$id"] == event.dataschema
    assert schema["$schema"] == DRAFT
    Draft202012Validator.check_schema(schema)
    body = json.loads(codec.encode(event))
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)
    wrong = (
        {**body, "data": {**body["data"], "pupil_id": 7}}
        if "pupil_id" in body["data"]
        else {**body, "data": {**body["data"], "provider_id": 7}}
    )
    assert not Draft202012Validator(schema).is_valid(wrong), "the served schema constrains data"


async def test_unknown_schema_is_a_404_problem(services):
    response = await services.reporting.get("/events/journey.nope.v1.json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
