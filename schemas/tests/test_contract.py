"""The published contract: checked-in JSON Schema files match the models; golden examples parse."""

import json
from pathlib import Path

import pytest
from ap_schemas import codec, topics
from ap_schemas.codes import destination_group
from ap_schemas.events import BY_TYPE, SPECS
from ap_schemas.export import HERE, asyncapi, render

EXAMPLES = HERE / "examples"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_checked_in_schema_matches_model(spec):
    path = HERE / "jsonschema" / spec.schema_name
    assert path.exists(), f"run `make schemas` to write {path.name}"
    assert path.read_text() == render(spec), (
        f"{spec.type} changed: a compatible change needs `make schemas`; "
        "a breaking one needs a new .v2 model beside it"
    )


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_golden_example_still_parses(spec):
    raw = (EXAMPLES / f"{spec.type}.json").read_bytes()
    envelope, data = codec.decode(raw)
    assert envelope.type == spec.type
    assert isinstance(data, spec.model)
    assert BY_TYPE[envelope.type].topic == spec.topic


def test_every_schema_file_belongs_to_a_model():
    known = {s.schema_name for s in SPECS}
    assert {p.name for p in (HERE / "jsonschema").glob("*.json")} <= known


def test_general_events_carry_no_identifying_fields():
    identifying = {
        "upn",
        "forename",
        "surname",
        "middle_names",
        "preferred_surname",
        "date_of_birth",
        "postcode",
        "former_upn",
    }
    for spec in SPECS:
        if spec.topic != "journey.identity":
            assert not identifying & set(spec.model.model_fields), spec.type


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"not json", "not a CloudEvents envelope"),
        (b'{"specversion": "1.0"}', "not a CloudEvents envelope"),
    ],
)
def test_decode_rejects_garbage_with_a_reason(raw, reason):
    with pytest.raises(codec.InvalidEventError, match=reason):
        codec.decode(raw)


def test_decode_rejects_unknown_type_and_bad_data():
    good = json.loads((EXAMPLES / "journey.pupil.referred.v1.json").read_text())
    with pytest.raises(codec.InvalidEventError, match="unknown event type"):
        codec.decode(json.dumps({**good, "type": "journey.nope.v1"}).encode())
    bad = {**good, "data": {**good["data"], "tier_requested": 7}}
    with pytest.raises(codec.InvalidEventError, match="tier_requested"):
        codec.decode(json.dumps(bad).encode())


def test_decode_rejects_subject_that_is_not_the_pupil():
    good = json.loads((EXAMPLES / "journey.pupil.referred.v1.json").read_text())
    with pytest.raises(codec.InvalidEventError, match="subject"):
        codec.decode(json.dumps({**good, "subject": "someone-else"}).encode())


@pytest.mark.parametrize(
    ("code", "group"),
    [
        (110, None),  # pre-16: not a destination
        (130, None),
        (210, "education_training"),
        (330, "employment"),
        (710, "excluded"),
        (540, "neet"),
        (650, "neet"),
        (810, "not_known"),
        (830, "not_known"),
        (500, None),
        (999, None),
    ],
)
def test_destination_codes_come_from_the_code_set(code, group):
    assert destination_group(code) == group


def test_examples_directory_is_complete():
    assert {p.stem for p in Path(EXAMPLES).glob("*.json")} == {s.type for s in SPECS}


def test_asyncapi_document_is_current():
    assert (HERE / "asyncapi.json").read_text() == asyncapi(), "run `make schemas`"
    doc = json.loads(asyncapi())
    assert set(doc["channels"]) == set(topics.ALL)  # every topic, dead letters too
