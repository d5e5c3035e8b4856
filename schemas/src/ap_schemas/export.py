"""Write the JSON Schema of every event type into jsonschema/ (run after changing a model).

`python -m ap_schemas.export` (`make schemas`) first checks every model against its released
schema (released/<type>.json, see compat.py) and refuses, naming the type, path and rule, when a
change would break a reader. It then regenerates jsonschema/ and asyncapi.json, and RELEASES every
event type that has no released file yet: writing released/<type>.json is the moment that version
freezes. From then on only compatible changes (an optional field) are accepted; anything else is
a new `.v2` model with its own schema and golden example. The tests fail while a file and its
model differ, while a type is unreleased, and on any incompatible change.
"""

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import compat, topics
from .envelope import CONTENT_TYPE, SCHEMA_BASE, CloudEvent
from .events import SPECS, EventSpec

HERE = Path(__file__).parent
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_of(spec: EventSpec) -> dict[str, Any]:
    schema = CloudEvent[spec.model].model_json_schema()  # type: ignore[name-defined]
    schema["$schema"] = DRAFT
    schema["$id"] = SCHEMA_BASE + spec.schema_name  # = the `dataschema` its events carry
    schema["title"] = spec.type
    schema["x-topic"] = spec.topic
    return schema


def render(spec: EventSpec) -> str:
    return json.dumps(schema_of(spec), indent=2, sort_keys=True) + "\n"


KAFKA_BINDING = "0.4.0"
TRACEPARENT = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
DELIVERY = {
    "guarantee": "at-least-once",
    "deduplicate-by": "the CloudEvents `id` (a redelivered or re-published event keeps its id)",
    "ordering": "per Kafka key only: events of one pupil (or one provider) arrive in the order "
    "they were written; there is no order across pupils, partitions or topics",
    "identity": f"{topics.IDENTITY} is compacted: only the latest identity per pupil is kept",
    "dead-letters": f"{topics.DEADLETTER} receives every message a consumer can never apply, "
    "with dlq_* headers saying why; personal values are withheld",
}
PUBLISHER_HEADER = {
    "type": "string",
    "description": "the publisher's (FastStream's) own message id: not the CloudEvents "
    "correlationid, which is in the event",
}
DEADLETTER_HEADERS = {
    "dlq_reason": "why the message can never be applied (field paths, never values)",
    "dlq_service": "the service that parked it (placement and outcomes both read referrals)",
    "dlq_consumer": "the consumer that gave up on it",
    "dlq_original_topic": "the topic it was read from",
    "dlq_original_partition": "its partition there",
    "dlq_original_offset": "its offset there",
    "dlq_value_withheld": "true when the original looked like identity data and is not copied",
}


def _message(spec: EventSpec) -> dict[str, Any]:
    key = "provider_id" if spec.topic == topics.PROVIDERS else "pupil_id"
    return {
        "name": spec.type,
        "title": spec.type,
        "summary": (spec.model.__doc__ or spec.type).strip().splitlines()[0],
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "required": ["ce_type", "content-type"],
            "properties": {
                "ce_type": {"const": spec.type, "description": "the CloudEvents type"},
                "content-type": {"const": CONTENT_TYPE},
                "traceparent": {"type": "string", "pattern": TRACEPARENT,
                                "description": "W3C trace context of the write"},
                "tracestate": {"type": "string", "description": "W3C trace context, vendor part"},
                "correlation_id": PUBLISHER_HEADER,
            },
        },
        "payload": {"$ref": f"jsonschema/{spec.schema_name}"},
        "bindings": {"kafka": {
            "key": {"type": "string", "format": "uuid", "description": f"the {key} (= subject)"},
            "bindingVersion": KAFKA_BINDING,
        }},
    }  # fmt: skip


def _channel(topic: str, messages: list[str]) -> dict[str, Any]:
    policy = "compact" if topic in topics.COMPACTED else "delete"
    return {
        "description": TOPIC_NOTES.get(topic, ""),
        "bindings": {"kafka": {
            "topic": topic,
            "topicConfiguration": {"cleanup.policy": [policy]},
            "bindingVersion": KAFKA_BINDING,
        }},
        "subscribe": {
            "operationId": "read_" + topic.replace(".", "_"),
            "summary": f"Read {topic}: at least once, deduplicate by id, ordered per key only.",
            "message": {"oneOf": [{"$ref": f"#/components/messages/{m}"} for m in messages]},
        },
    }  # fmt: skip


def asyncapi() -> str:
    """An AsyncAPI 2.6 document: every topic, message, key, header and the delivery semantics."""
    by_topic: dict[str, list[str]] = {topic: [] for topic in topics.ALL}
    messages: dict[str, Any] = {}
    for spec in SPECS:
        by_topic.setdefault(spec.topic, []).append(spec.type)
        messages[spec.type] = _message(spec)
    by_topic[topics.DEADLETTER].append("deadletter")
    messages["deadletter"] = {
        "name": "deadletter",
        "title": "A message no consumer can apply",
        "summary": "The original value (null when withheld) and key, with why it was rejected.",
        "headers": {
            "type": "object",
            "required": sorted(DEADLETTER_HEADERS),
            "properties": {**{h: {"type": "string", "description": d}
                              for h, d in DEADLETTER_HEADERS.items()},
                           "content-type": {"type": "string",
                                            "description": "empty: the value is raw bytes"},
                           "traceparent": {"type": "string", "pattern": TRACEPARENT},
                           "tracestate": {"type": "string"},
                           "correlation_id": PUBLISHER_HEADER},
        },
        "payload": {"description": "the original message bytes, or null when withheld"},
        "bindings": {"kafka": {"key": {"type": ["string", "null"]},
                               "bindingVersion": KAFKA_BINDING}},
    }  # fmt: skip
    doc = {
        "asyncapi": "2.6.0",
        "id": "urn:ap-journey:event-stream",
        "defaultContentType": CONTENT_TYPE,
        "info": {
            "title": "AP Journey event stream",
            "version": "1",
            "description": "CloudEvents 1.0 structured JSON; key = pupil_id (provider_id on "
            f"{topics.PROVIDERS}). Delivery is at least once: deduplicate by the event id. "
            "Ordering holds per key (per pupil) only. A breaking change is a new .vN type, "
            "never an edit of a released one (released/, compat.py).",
        },
        "channels": {topic: _channel(topic, by_topic[topic]) for topic in by_topic},
        "components": {"messages": messages},
        "x-delivery": DELIVERY,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


TOPIC_NOTES = {
    topics.REFERRALS: "Referrals and their triage decisions (referral service).",
    topics.IDENTITY: "Compacted. The only topic with names, DOB, UPN and address; reporting only.",
    topics.PROVIDERS: "AP providers register (placement service); key = provider_id.",
    topics.PLACEMENTS: "Placements with commissioner, tier, sessions and cost (placement service).",
    topics.OUTCOMES: "Reviews, reintegrations, sustainment, destinations (outcomes service).",
    topics.DEADLETTER: "Messages a consumer could never apply, with dlq_* headers saying why.",
}


def released(root: Path = HERE) -> dict[str, dict[str, Any]]:
    """The released schema of every frozen event type, by type."""
    return {
        p.name.removesuffix(".json"): json.loads(p.read_text())
        for p in (root / "released").glob("*.json")
    }


def _readable(folder: Path) -> dict[str, dict[str, Any]]:
    """Checked-in schemas that parse (a file left with merge conflict markers is skipped: it is
    regenerated below, and the released file still guards that type)."""
    found: dict[str, dict[str, Any]] = {}
    for path in folder.glob("*.json"):
        try:
            found[path.name.removesuffix(".json")] = json.loads(path.read_text())
        except ValueError:
            print(f"skipped unreadable {path.name} (it is rewritten now)", file=sys.stderr)
    return found


def incompatible(specs: Iterable[EventSpec] = SPECS, root: Path = HERE) -> list[compat.Violation]:
    """Every rule the current models break against the released schemas (frozen at release) and
    against the checked-in ones (the version as last published, optional fields added since
    included), so a field added after the release cannot be taken away again either."""
    current = {s.type: schema_of(s) for s in specs}
    frozen = released(root)
    published = {t: s for t, s in _readable(root / "jsonschema").items() if t in frozen}
    found = compat.check_all(frozen, current) + compat.check_all(published, current)
    return sorted(set(found))


def main(specs: Iterable[EventSpec] = SPECS, root: Path = HERE) -> int:
    specs = tuple(specs)
    broken = incompatible(specs, root)
    if broken:
        print("refused: these changes break readers of released event types:", file=sys.stderr)
        for violation in broken:
            print(f"  {violation}", file=sys.stderr)
        print(
            "keep the released version compatible (only add OPTIONAL fields), or add a new "
            ".v2 model beside it with its own schema and golden example (rules: compat.py)",
            file=sys.stderr,
        )
        return 1
    out = root / "jsonschema"
    out.mkdir(exist_ok=True)
    for spec in specs:
        (out / spec.schema_name).write_text(render(spec))
        print(f"wrote {spec.schema_name}")
    (root / "asyncapi.json").write_text(asyncapi())
    print("wrote asyncapi.json")
    frozen = root / "released"
    frozen.mkdir(exist_ok=True)
    for spec in specs:
        path = frozen / spec.schema_name
        if not path.exists():
            path.write_text(render(spec))
            print(f"released {spec.type}: this version is now frozen (optional fields only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
