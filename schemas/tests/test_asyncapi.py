"""asyncapi.json checked by a third party: the official AsyncAPI 2.6.0 JSON Schema (vendored)."""

import json
from pathlib import Path

import pytest
from ap_schemas import topics
from ap_schemas.events import SPECS
from ap_schemas.export import HERE
from jsonschema import Draft7Validator

OFFICIAL = json.loads((Path(__file__).parent / "vendor" / "asyncapi-2.6.0.json").read_text())
DOC = json.loads((HERE / "asyncapi.json").read_text())
VALIDATOR = Draft7Validator(OFFICIAL)


def test_the_official_schema_is_the_2_6_0_one():
    assert OFFICIAL["$id"] == "http://asyncapi.com/definitions/2.6.0/asyncapi.json"
    Draft7Validator.check_schema(OFFICIAL)


def test_asyncapi_document_validates_against_the_official_schema():
    errors = sorted(VALIDATOR.iter_errors(DOC), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    "broken",
    [
        lambda d: d.pop("info"),
        lambda d: d.update(asyncapi="2.5.9"),
        lambda d: d["channels"][topics.REFERRALS]["subscribe"].update(operationId=7),
        lambda d: d["components"]["messages"]["deadletter"].update(contentType=["x"]),
    ],
)
def test_the_official_schema_rejects_a_broken_document(broken):
    doc = json.loads(json.dumps(DOC))
    broken(doc)
    assert not VALIDATOR.is_valid(doc)


def test_every_topic_and_message_is_listed_with_its_key_and_headers():
    assert set(DOC["channels"]) == set(topics.ALL)
    messages = DOC["components"]["messages"]
    for spec in SPECS:
        refs = DOC["channels"][spec.topic]["subscribe"]["message"]["oneOf"]
        assert {"$ref": f"#/components/messages/{spec.type}"} in refs
        message = messages[spec.type]
        assert message["bindings"]["kafka"]["key"]["format"] == "uuid"
        headers = message["headers"]["properties"]
        assert {"ce_type", "content-type", "traceparent", "tracestate"} <= set(headers)
        assert headers["ce_type"]["const"] == spec.type
        assert (HERE / message["payload"]["$ref"]).exists()
    assert "dlq_reason" in messages["deadletter"]["headers"]["properties"]


def test_delivery_semantics_are_stated():
    delivery = DOC["x-delivery"]
    assert delivery["guarantee"] == "at-least-once"
    assert "id" in delivery["deduplicate-by"]
    assert "per Kafka key only" in delivery["ordering"]
    identity = DOC["channels"][topics.IDENTITY]["bindings"]["kafka"]["topicConfiguration"]
    assert identity["cleanup.policy"] == ["compact"]
    assert topics.DEADLETTER in delivery["dead-letters"]
