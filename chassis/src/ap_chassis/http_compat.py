"""The HTTP contract guarded like the event stream: each service's OpenAPI document is released,
and a change that would break a client built to the released copy is refused.

Request and response bodies are JSON Schemas, so the stream's own rules (`ap_schemas.compat`)
compare them; what breaks depends on who reads. A request is written by the client and read by
the service: the service must still accept everything an old client sends (the stream's
BACKWARD rules). A response is written by the service and read by the client: the client must
still find everything it relied on (FORWARD rules). On top of the bodies, an operation keeps its
path, its method, its status codes and its parameters.

| refused                                 | rule                                   |
|-----------------------------------------|----------------------------------------|
| a path or a method on it removed        | path-removed, operation-removed        |
| a status code of an operation removed   | status-removed                         |
| a request field or parameter removed    | field-removed (a rename is a removal)  |
| a request field/parameter made required | field-made-required (also a new one)   |
| a request type narrowed, a bound tighter| type-narrowed                          |
| a request code (enum value) removed     | enum-value-removed                     |
| a response field removed or optional    | field-removed, field-made-optional     |
| a response type widened                 | type-widened                           |

Allowed: new paths, operations, status codes, optional request fields and parameters, response
fields; request types widened and codes added. `make openapi` refuses a breaking change, then
writes the current document as the new released copy (`services/<name>/openapi/released.json`),
so what was added is guarded from then on. Pure, apart from `main`.
"""

import importlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ap_schemas import compat
from ap_schemas.compat import Violation

Doc = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
REQUEST_BREAKS = frozenset(
    {"field-removed", "field-made-required", "type-narrowed", "enum-value-removed",
     "const-changed"}
)  # fmt: skip
RESPONSE_BREAKS = frozenset(
    {"field-removed", "field-made-optional", "type-widened", "const-changed"}
)
SERVICES = ("referral", "placement", "outcomes", "reporting")


def check(service: str, released: Doc, current: Doc) -> list[Violation]:
    """Every way the current OpenAPI document of `service` breaks a client of the released one."""
    found: list[Violation] = []
    old_paths: Doc = released.get("paths", {})
    new_paths: Doc = current.get("paths", {})
    for path, old_ops in sorted(old_paths.items()):
        if path not in new_paths:
            found.append(Violation(service, path, "path-removed", "a released path must stay"))
            continue
        for method in METHODS:
            if method not in old_ops:
                continue
            where = f"{method.upper()} {path}"
            new_op = new_paths[path].get(method)
            if new_op is None:
                found.append(Violation(service, where, "operation-removed", "must stay"))
                continue
            found.extend(_operation(service, where, released, old_ops[method], current, new_op))
    return sorted(set(found))


def _operation(
    service: str, where: str, old_doc: Doc, old: Doc, new_doc: Doc, new: Doc
) -> list[Violation]:
    found: list[Violation] = []

    def compare(old_schema: Doc, new_schema: Doc, at: str, breaks: frozenset[str]) -> None:
        for v in _bodies(where, old_doc, old_schema, new_doc, new_schema):
            if v.rule in breaks:
                found.append(Violation(service, f"{where} {at}{v.path and '.' + v.path}",
                                       v.rule, v.detail))  # fmt: skip

    old_params, new_params = _parameters(old_doc, old), _parameters(new_doc, new)
    for key, param in sorted(new_params.items()):
        was = old_params.get(key)
        if param.get("required") and not (was and was.get("required")):
            found.append(Violation(service, f"{where} {key[0]}.{key[1]}", "field-made-required",
                                   "an old client does not send it"))  # fmt: skip
    for key, param in sorted(old_params.items()):
        now = new_params.get(key)
        if now is None:
            found.append(Violation(service, f"{where} {key[0]}.{key[1]}", "field-removed",
                                   "a released parameter must stay"))  # fmt: skip
            continue
        compare(param.get("schema", {}), now.get("schema", {}), f"{key[0]}.{key[1]}",
                REQUEST_BREAKS)  # fmt: skip
    old_body, new_body = _request_body(old_doc, old), _request_body(new_doc, new)
    for media, schema in sorted(old_body.items()):
        if media not in new_body:
            found.append(Violation(service, f"{where} request", "operation-removed",
                                   f"{media} bodies are no longer accepted"))  # fmt: skip
        else:
            compare(schema, new_body[media], "request", REQUEST_BREAKS)
    old_responses: Doc = old.get("responses", {})
    new_responses: Doc = new.get("responses", {})
    for status, response in sorted(old_responses.items()):
        if status not in new_responses:
            found.append(Violation(service, f"{where} {status}", "status-removed",
                                   "a released status code must stay"))  # fmt: skip
            continue
        old_media = _content(old_doc, response)
        new_media = _content(new_doc, new_responses[status])
        for media, schema in sorted(old_media.items()):
            if media in new_media:
                compare(schema, new_media[media], f"response {status}", RESPONSE_BREAKS)
    return found


def _bodies(where: str, old_doc: Doc, old: Doc, new_doc: Doc, new: Doc) -> list[Violation]:
    """The stream's rules on two schemas of one operation, `$ref`s resolved in each document
    (the schema is checked with its document's components beside it)."""
    return compat.check(
        where,
        {**old, "components": old_doc.get("components", {})},
        {**new, "components": new_doc.get("components", {})},
    )


def _parameters(doc: Doc, op: Doc) -> dict[tuple[str, str], Doc]:
    params = (compat.resolve(doc, p) for p in op.get("parameters", []))
    return {(p["in"], p["name"]): p for p in params}


def _request_body(doc: Doc, op: Doc) -> dict[str, Doc]:
    body = op.get("requestBody")
    return {} if body is None else _content(doc, body)


def _content(doc: Doc, holder: Doc) -> dict[str, Doc]:
    holder = compat.resolve(doc, holder)
    return {media: c.get("schema", {}) for media, c in holder.get("content", {}).items()}


# released copies -------------------------------------------------------------------------


def released_path(root: Path, service: str) -> Path:
    return root / "services" / service / "openapi" / "released.json"


def render(doc: Doc) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def served(service: str) -> Doc:
    """The OpenAPI document the service serves, built as its composition root builds it (nothing
    connected: the pool and the broker open only in the lifespan)."""
    app: Any = importlib.import_module(f"ap_{service}.app").create_app()
    doc: Doc = json.loads(json.dumps(app.openapi()))
    return doc


def breaking(root: Path, services: Iterable[str] = SERVICES) -> list[Violation]:
    """Every break of every service's served document against its released copy."""
    found: list[Violation] = []
    for service in services:
        path = released_path(root, service)
        if path.exists():
            found.extend(check(service, json.loads(path.read_text()), served(service)))
    return found


def main(root: Path, services: Iterable[str] = SERVICES) -> int:
    """`make openapi`: refuse a breaking change, else release every service's document."""
    # only the document is built: a test environment needs no identity provider configured
    os.environ.setdefault("JOURNEY_ENVIRONMENT", "test")
    services = tuple(services)
    broken = breaking(root, services)
    if broken:
        print("refused: these changes break clients of the released HTTP contract:",
              file=sys.stderr)  # fmt: skip
        for violation in broken:
            print(f"  {violation}", file=sys.stderr)
        print("add instead of changing: a new optional field, a new path or a new version of"
              " the route (rules: ap_chassis/http_compat.py)", file=sys.stderr)  # fmt: skip
        return 1
    for service in services:
        path = released_path(root, service)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(served(service)))
        print(f"released {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd()))
