"""Build, encode and decode journey events. Decoding never trusts its input."""

import json
import re
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from . import topics
from .envelope import SCHEMA_BASE, Actor, CloudEvent, RawEvent, utcnow
from .events import BY_MODEL, BY_TYPE, SPECS, EventData, EventSpec, ProviderEventData
from .ids import new_event_id

# Bounds on untrusted bytes: the largest real event is a few kilobytes, nested four deep.
MAX_EVENT_BYTES = 256 * 1024
MAX_JSON_DEPTH = 16

# The event types each topic may carry, from the registry (the one place a type names its topic).
TYPES_ON: dict[str, frozenset[str]] = {
    topic: frozenset(s.type for s in SPECS if s.topic == topic) for topic in topics.ALL
}

# Field names that mark identifying details, wherever they appear (keys, JSON-escaped or not),
# and the identity event types: a value that shows any of them is personal data.
_IDENTITY_MARKS = re.compile(
    rb'(?i)"(upn|former_upn|forename|surname|middle_names|preferred_surname|date_of_birth|postcode)"'
    rb"|pupil\.identity|\\u00"
)


class InvalidEventError(ValueError):
    """An event that can never be applied: not JSON, not an envelope, or data not of its type."""


def subject_of(data: EventData) -> str:
    """The subject and Kafka key: the pupil for pupil events, the provider for provider events."""
    if isinstance(data, ProviderEventData):
        return str(data.provider_id)
    return str(data.pupil_id)  # type: ignore[attr-defined]


def spec_of(data: EventData) -> EventSpec:
    return BY_MODEL[type(data)]


def build(
    data: EventData,
    *,
    source: str,
    actor: Actor,
    correlation_id: str,
    event_id: UUID | None = None,
    time: datetime | None = None,
) -> CloudEvent[EventData]:
    spec = spec_of(data)
    return CloudEvent[spec.model](  # type: ignore[name-defined]
        id=event_id or new_event_id(),
        source=source,
        type=spec.type,
        time=time or utcnow(),
        subject=subject_of(data),
        dataschema=SCHEMA_BASE + spec.schema_name,
        actor=actor,
        correlationid=correlation_id,
        data=data,
    )


def encode(event: CloudEvent[EventData]) -> bytes:
    return event.model_dump_json(serialize_as_any=True).encode()


def decode(raw: bytes | None, topic: str | None = None) -> tuple[RawEvent, EventData]:
    """Parse and validate an event; raise InvalidEventError saying why it can never be applied.

    Every failure on untrusted bytes is an InvalidEventError, whatever the parser raised
    (RecursionError, MemoryError included). With `topic`, the event must be of a type that topic
    carries and come from the topic's owning service.
    """
    try:
        return _decode(raw, topic)
    except InvalidEventError:
        raise
    except Exception as exc:
        raise InvalidEventError(f"undecodable: {type(exc).__name__}") from None


def _decode(raw: bytes | None, topic: str | None) -> tuple[RawEvent, EventData]:
    if not raw:
        raise InvalidEventError("empty message value")
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidEventError(f"larger than {MAX_EVENT_BYTES} bytes")
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidEventError(f"not a CloudEvents envelope: {type(exc).__name__}") from None
    if _deeper_than(parsed, MAX_JSON_DEPTH):
        raise InvalidEventError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        envelope = RawEvent.model_validate(parsed)
    except (ValueError, ValidationError) as exc:
        raise InvalidEventError(f"not a CloudEvents envelope: {_brief(exc)}") from None
    spec = BY_TYPE.get(envelope.type)
    if spec is None:
        raise InvalidEventError(f"unknown event type {envelope.type[:100]!r}")
    if topic is not None and envelope.type not in TYPES_ON.get(topic, ()):
        raise InvalidEventError(f"wrong topic: {envelope.type} belongs on {spec.topic}")
    if topic is not None and envelope.source != topics.OWNERS.get(topic):
        raise InvalidEventError(
            f"wrong source: only {topics.OWNERS.get(topic)!r} publishes on {topic}"
        )
    try:
        data = spec.model.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEventError(f"{envelope.type} data invalid: {_brief(exc)}") from None
    if subject_of(data) != envelope.subject:
        raise InvalidEventError("subject does not match the event's pupil or provider id")
    return envelope, data


def looks_like_identity(raw: bytes | None) -> bool:
    """Whether raw bytes may hold identifying details: an identity type or one of its fields.

    Deliberately loose (any JSON \\u escape counts, since it could spell a field name): a false
    positive only withholds a dead letter's value.
    """
    return raw is not None and _IDENTITY_MARKS.search(raw) is not None


def _deeper_than(value: object, limit: int) -> bool:
    """Whether parsed JSON nests containers more than `limit` deep (breadth first, no recursion)."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [
            child
            for v in level
            for child in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else ())
            if isinstance(child, dict | list)
        ]
    return False


def _brief(exc: Exception) -> str:
    """A reason safe to put in a header: field locations and messages, never input values."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )[:500]
    return type(exc).__name__
