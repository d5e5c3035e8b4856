"""Decoding untrusted bytes: every failure is an InvalidEventError with a reason, never a crash."""

import json
from pathlib import Path

import pytest
from ap_schemas import codec, topics
from hypothesis import given
from hypothesis import strategies as st

EXAMPLES = Path(codec.__file__).parent / "examples"


def example(type_: str) -> dict:
    return json.loads((EXAMPLES / f"{type_}.json").read_text())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "RecursionError"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper"),
        (b" " * (codec.MAX_EVENT_BYTES + 1), "larger than"),
        (b"\xff\xfe\x00garbage", "not a CloudEvents envelope"),
        (b"1e999999", "not a CloudEvents envelope"),
    ],
)
def test_hostile_bytes_are_invalid_events(raw, reason):
    with pytest.raises(codec.InvalidEventError, match=reason):
        codec.decode(raw)


@given(st.binary(max_size=300))
def test_any_bytes_either_decode_or_raise_invalid_event(raw):
    try:
        codec.decode(raw, topics.REFERRALS)
    except codec.InvalidEventError:
        pass


def test_every_topic_declares_its_types_and_its_owner():
    """A topic without an owner would dead-letter everything on it as `wrong source`."""
    from ap_schemas.events import SPECS

    for topic in {spec.topic for spec in SPECS}:
        assert codec.TYPES_ON[topic]
        assert topic in topics.OWNERS, f"{topic} needs its owning service in topics.OWNERS"
    assert "journey.pupil.identity.recorded.v1" in codec.TYPES_ON[topics.IDENTITY]
    assert "journey.pupil.identity.recorded.v1" not in codec.TYPES_ON[topics.REFERRALS]


def test_an_event_on_the_wrong_topic_or_from_the_wrong_source_is_refused():
    provider = example("journey.provider.registered.v1")
    raw = json.dumps({**provider, "source": "placement"}).encode()
    codec.decode(raw, topics.PROVIDERS)
    with pytest.raises(codec.InvalidEventError, match="wrong topic"):
        codec.decode(raw, topics.IDENTITY)
    forged = json.dumps({**provider, "source": "referral"}).encode()
    with pytest.raises(codec.InvalidEventError, match="wrong source"):
        codec.decode(forged, topics.PROVIDERS)


def test_identity_data_is_recognised_by_type_or_field_names_whatever_the_topic():
    identity = json.dumps(example("journey.pupil.identity.recorded.v1")).encode()
    assert codec.looks_like_identity(identity)
    assert codec.looks_like_identity(b'{"junk": 1, "Date_Of_Birth": "2012-01-01"}')
    assert codec.looks_like_identity(b'{"\\u0075pn": "A"}')
    referred = json.dumps(example("journey.pupil.referred.v1")).encode()
    assert not codec.looks_like_identity(referred)
