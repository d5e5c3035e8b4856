"""Build, encode and decode journey events. Decoding never trusts its input."""

import json
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from .envelope import SCHEMA_BASE, Actor, CloudEvent, RawEvent, utcnow
from .events import BY_MODEL, BY_TYPE, EventData, EventSpec, ProviderEventData
from .ids import new_event_id


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


def decode(raw: bytes | None) -> tuple[RawEvent, EventData]:
    """Parse and validate an event; raise InvalidEventError saying why it can never be applied."""
    if not raw:
        raise InvalidEventError("empty message value")
    try:
        envelope = RawEvent.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise InvalidEventError(f"not a CloudEvents envelope: {_brief(exc)}") from None
    spec = BY_TYPE.get(envelope.type)
    if spec is None:
        raise InvalidEventError(f"unknown event type {envelope.type!r}")
    try:
        data = spec.model.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEventError(f"{envelope.type} data invalid: {_brief(exc)}") from None
    if subject_of(data) != envelope.subject:
        raise InvalidEventError("subject does not match the event's pupil or provider id")
    return envelope, data


def _brief(exc: Exception) -> str:
    """A reason safe to put in a header: field locations and messages, never input values."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )[:500]
    return type(exc).__name__
