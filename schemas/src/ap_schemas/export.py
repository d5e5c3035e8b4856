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


def released(root: Path = HERE) -> dict[str, dict[str, Any]]:
    """The released schema of every frozen event type, by type."""
    folder = root / "released"
    return {p.name.removesuffix(".json"): json.loads(p.read_text()) for p in folder.glob("*.json")}


def incompatible(specs: Iterable[EventSpec] = SPECS, root: Path = HERE) -> list[compat.Violation]:
    """Every rule the current models break against the released schemas."""
    return compat.check_all(released(root), {s.type: schema_of(s) for s in specs})


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
