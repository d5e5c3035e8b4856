"""Write the JSON Schema of every event type into jsonschema/ (run after changing a model).

`python -m ap_schemas.export` regenerates; the tests fail while a file and its model differ.
"""

import json
from pathlib import Path
from typing import Any

from .envelope import CloudEvent
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


def main() -> None:
    out = HERE / "jsonschema"
    out.mkdir(exist_ok=True)
    for spec in SPECS:
        (out / spec.schema_name).write_text(render(spec))
        print(f"wrote {spec.schema_name}")


if __name__ == "__main__":
    main()
