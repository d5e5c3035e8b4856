"""One Kafka record -> one pseudonymised Parquet row, or the reason it is rejected. Pure.

Pseudonymisation: ids stay (pupil_id, referral_id, ... are already pseudonymous); the identity
topic is never read; an actor's user id becomes a keyed hash (HMAC-SHA256), or null without a key;
free text on pupil events (a string with no code set, pattern or format, e.g. a withdrawal
reason) is withheld, since a person may write a name into it.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from typing import Any

import pyarrow as pa
from ap_schemas import codec, compat, topics
from ap_schemas.events import BY_TYPE, SPECS, EventSpec, PupilEventData
from ap_schemas.export import schema_of

# Never read: the one topic with names, dates of birth, UPNs and addresses; and dead letters,
# whose values are copies of messages (a personal one withheld) rather than events of record.
NEVER_READ = frozenset({topics.IDENTITY, topics.DEADLETTER})
WITHHELD = "[withheld]"

COLUMNS = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("schema_version", pa.string()),
        ("dataschema", pa.string()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("key", pa.string()),
        ("subject", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("occurred_at", pa.date32()),
        ("source", pa.string()),
        ("correlation_id", pa.string()),
        ("actor_system", pa.string()),
        ("actor_pseudonym", pa.string()),
        ("data", pa.string()),  # the event's data as JSON, free text withheld
    ]
)


def exported_topics() -> tuple[str, ...]:
    """Every topic that carries journey events, except the personal one (computed: new types
    and topics other engineers add are exported without an edit here)."""
    found = dict.fromkeys(spec.topic for spec in SPECS)
    return tuple(t for t in found if t not in NEVER_READ)


@dataclass(frozen=True)
class Row:
    partition_key: tuple[str, str]  # (event type, YYYY-MM of the event's time)
    values: dict[str, Any]


@dataclass(frozen=True)
class Rejected:
    topic: str
    partition: int
    offset: int
    reason: str


def version_of(event_type: str) -> str:
    """`journey.pupil.placed.v1` -> `v1`."""
    return event_type.rsplit(".", 1)[-1]


def pseudonym(user_id: str, key: bytes | None) -> str | None:
    if not key:
        return None
    return hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:32]


@cache
def free_text_paths(event_type: str) -> tuple[tuple[str, ...], ...]:
    """Paths in `data` of strings with no code set, pattern or format (pupil events only)."""
    spec: EventSpec = BY_TYPE[event_type]
    if not issubclass(spec.model, PupilEventData):
        return ()  # provider events describe organisations, not people
    root = schema_of(spec)
    found: list[tuple[str, ...]] = []

    def walk(schema: dict[str, Any], path: tuple[str, ...]) -> None:
        for kind, sub in compat.branches(root, schema).items():
            if kind == "object":
                for name, prop in sub.get("properties", {}).items():
                    walk(prop, (*path, name))
            elif kind == "string" and not {"enum", "const", "pattern", "format"} & set(sub):
                found.append(path)

    walk(root["properties"]["data"], ())
    return tuple(sorted(set(found)))


def _withhold(data: Any, path: tuple[str, ...]) -> None:
    for name in path[:-1]:
        if not isinstance(data, dict):
            return
        data = data.get(name)
    if isinstance(data, dict) and data.get(path[-1]) is not None:
        data[path[-1]] = WITHHELD


def to_row(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    *,
    pseudonym_key: bytes | None = None,
) -> Row | Rejected:
    """Validate a record with the contract's own decoder and shape it as a row."""
    if topic in NEVER_READ:
        raise ValueError(f"{topic} is never exported")
    try:
        envelope, data = codec.decode(value)
    except codec.InvalidEventError as exc:
        return Rejected(topic, partition, offset, str(exc))
    spec = BY_TYPE[envelope.type]
    if spec.topic != topic:
        return Rejected(topic, partition, offset, f"{envelope.type} does not belong on {topic}")
    payload = data.model_dump(mode="json")
    for path in free_text_paths(envelope.type):
        _withhold(payload, path)
    when = envelope.time.astimezone(UTC)
    return Row(
        (envelope.type, f"{when:%Y-%m}"),
        {
            "event_id": str(envelope.id),
            "type": envelope.type,
            "schema_version": version_of(envelope.type),
            "dataschema": envelope.dataschema,
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "key": key.decode(errors="replace") if key is not None else None,
            "subject": envelope.subject,
            "time": when,
            "occurred_at": data.occurred_at,
            "source": envelope.source,
            "correlation_id": envelope.correlationid,
            "actor_system": envelope.actor.system,
            "actor_pseudonym": pseudonym(envelope.actor.user_id, pseudonym_key),
            "data": json.dumps(payload, sort_keys=True),
        },
    )
