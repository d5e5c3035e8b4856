"""Record -> Parquet row: validated, pseudonymised, identity never read. Pure."""

import json

import pytest
from ap_export.rows import NEVER_READ, Rejected, Row, exported_topics, free_text_paths, to_row
from ap_schemas import topics
from ap_schemas.events import SPECS
from ap_schemas.export import HERE

EXAMPLES = HERE / "examples"


def example(event_type: str) -> bytes:
    return (EXAMPLES / f"{event_type}.json").read_bytes()


def test_identity_is_never_exported_and_every_other_event_topic_is():
    assert topics.IDENTITY not in exported_topics()
    assert set(exported_topics()) == {s.topic for s in SPECS} - NEVER_READ
    with pytest.raises(ValueError, match="never exported"):
        to_row(topics.IDENTITY, 0, 0, None, example("journey.pupil.identity.recorded.v1"))


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.topic not in NEVER_READ], ids=lambda s: s.type
)
def test_every_exported_type_becomes_a_row(spec):
    raw = example(spec.type)
    row = to_row(spec.topic, 2, 41, b"k", raw, pseudonym_key=b"secret")
    assert isinstance(row, Row)
    event = json.loads(raw)
    assert row.values["event_id"] == event["id"]
    assert row.values["schema_version"] == spec.type.rsplit(".", 1)[1]
    assert row.partition_key == (spec.type, event["time"][:7])
    assert row.values["actor_pseudonym"] not in (None, event["actor"]["user_id"])
    assert event["actor"]["user_id"] not in json.dumps(row.values, default=str)
    data = json.loads(row.values["data"])
    assert data["occurred_at"] == event["data"]["occurred_at"]


def test_without_a_key_the_actor_is_not_pseudonymised_but_dropped():
    row = to_row(topics.REFERRALS, 0, 0, None, example("journey.pupil.referred.v1"))
    assert isinstance(row, Row)
    assert row.values["actor_pseudonym"] is None


def test_free_text_on_pupil_events_is_withheld_but_codes_and_ids_kept():
    assert free_text_paths("journey.referral.withdrawn.v1") == (("reason",),)
    assert free_text_paths("journey.pupil.referred.v1") == ()  # reason is a code there
    assert free_text_paths("journey.provider.registered.v1") == ()  # organisations, not people
    event = json.loads(example("journey.referral.withdrawn.v1"))
    event["data"]["reason"] = "Alex Example moved to Leeds"
    row = to_row(topics.REFERRALS, 0, 0, None, json.dumps(event).encode())
    assert isinstance(row, Row)
    assert "Alex" not in row.values["data"]
    assert json.loads(row.values["data"])["pupil_id"] == event["data"]["pupil_id"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "not a CloudEvents envelope"),
        (None, "empty"),
        (b'{"specversion": "1.0"}', "not a CloudEvents envelope"),
    ],
)
def test_invalid_messages_are_rejected_with_a_reason(value, reason):
    got = to_row(topics.REFERRALS, 1, 7, None, value)
    assert isinstance(got, Rejected)
    assert (got.partition, got.offset) == (1, 7)
    assert reason in got.reason


def test_an_event_on_the_wrong_topic_is_rejected():
    got = to_row(topics.OUTCOMES, 0, 3, None, example("journey.pupil.referred.v1"))
    assert isinstance(got, Rejected)
    assert "does not belong" in got.reason
