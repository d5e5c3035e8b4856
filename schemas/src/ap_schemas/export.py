"""Write the JSON Schema of every event type into jsonschema/ (run after changing a model).

`python -m ap_schemas.export` regenerates; the tests fail while a file and its model differ.
"""

import json
from pathlib import Path
from typing import Any

from . import topics
from .envelope import CONTENT_TYPE, CloudEvent
from .events import SPECS, EventSpec

HERE = Path(__file__).parent


def schema_of(spec: EventSpec) -> dict[str, Any]:
    schema = CloudEvent[spec.model].model_json_schema()  # type: ignore[name-defined]
    schema["$id"] = spec.schema_name
    schema["title"] = spec.type
    schema["x-topic"] = spec.topic
    return schema


def render(spec: EventSpec) -> str:
    return json.dumps(schema_of(spec), indent=2, sort_keys=True) + "\n"


def asyncapi() -> str:
    """An AsyncAPI 2.6 document of every topic and the event types published on it."""
    channels: dict[str, Any] = {}
    for spec in SPECS:
        channel = channels.setdefault(spec.topic, {
            "description": TOPIC_NOTES.get(spec.topic, ""),
            "bindings": {"kafka": {"key": {"type": "string", "format": "uuid"}}},
            "subscribe": {"message": {"oneOf": []}},
        })  # fmt: skip
        channel["subscribe"]["message"]["oneOf"].append({
            "name": spec.type,
            "contentType": CONTENT_TYPE,
            "headers": {"type": "object", "properties": {
                "ce_type": {"const": spec.type}, "traceparent": {"type": "string"},
                "content-type": {"const": CONTENT_TYPE},
            }},
            "payload": {"$ref": f"jsonschema/{spec.schema_name}"},
        })  # fmt: skip
    doc = {
        "asyncapi": "2.6.0",
        "info": {
            "title": "AP Journey event stream",
            "version": "1",
            "description": "CloudEvents 1.0 structured JSON; key = pupil_id (provider_id on "
            "journey.providers). A breaking change is a new .vN type, never an edit.",
        },
        "channels": channels,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


TOPIC_NOTES = {
    topics.REFERRALS: "Referrals and their triage decisions (referral service).",
    topics.IDENTITY: "Compacted. The only topic with names, DOB, UPN and address; reporting only.",
    topics.PROVIDERS: "AP providers register (placement service); key = provider_id.",
    topics.PLACEMENTS: "Placements with commissioner, tier, sessions and cost (placement service).",
    topics.OUTCOMES: "Reviews, reintegrations, sustainment, destinations (outcomes service).",
}


def main() -> None:
    out = HERE / "jsonschema"
    out.mkdir(exist_ok=True)
    for spec in SPECS:
        (out / spec.schema_name).write_text(render(spec))
        print(f"wrote {spec.schema_name}")
    (HERE / "asyncapi.json").write_text(asyncapi())
    print("wrote asyncapi.json")


if __name__ == "__main__":
    main()
