"""Compatibility of an event schema with its released version (pure: two dicts in, findings out).

A released version is frozen: its JSON Schema is kept in `released/<type>.json`, and every later
schema of the same type must let old readers read new events (FORWARD) and new readers read every
event ever published under that type (BACKWARD_TRANSITIVE). `make schemas` checks a model against
the released file (the version as frozen) and against the checked-in jsonschema/ file (the version
as last published, with the optional fields added since), so nothing published can be taken away.
For each change the stricter of the two modes decides:

| rule                | example                                      | breaks   |
|---------------------|----------------------------------------------|----------|
| field-removed       | a property disappears                        | backward |
| field-made-required | a new or existing property becomes required  | backward |
| field-made-optional | a required property may now be missing       | forward  |
| type-narrowed       | a JSON type dropped, a bound/pattern tighter | backward |
| type-widened        | a JSON type added, a bound/pattern looser    | forward  |
| enum-value-removed  | a code (enum/Literal value) disappears       | backward |
| enum-value-added    | a new code appears                           | forward  |
| const-changed       | a const (Literal with one value) changes     | both     |
| type-removed        | a released event type has no model          | both     |

Adding an OPTIONAL property is allowed: readers ignore what they do not know (the models are
open, `extra="ignore"`), and writers of old events simply never set it. Annotations (`title`,
`description`, `default`, `examples`, `$id`, `$schema`, `x-*`) may change freely.
A change that breaks a rule needs a new `.v2` model beside the `.v1` one.
"""

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

# Keywords that bound a value: raising a lower bound or lowering an upper one narrows; any change
# of an exact keyword (pattern, format, multipleOf) can both reject old values and emit new ones.
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_EXACT = ("pattern", "format", "multipleOf")


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: the event type, the path of the field in the event, the rule, details."""

    type: str
    path: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.type}: {self.path or '<root>'}: {self.rule} ({self.detail})"


def check(event_type: str, released: Schema, current: Schema) -> list[Violation]:
    """Every rule the current schema of `event_type` breaks against its released schema."""
    found: list[Violation] = []
    _compare(_Walk(event_type, released, current, found), released, current, "")
    return sorted(set(found))


def check_all(released: dict[str, Schema], current: dict[str, Schema]) -> list[Violation]:
    """Check every released type; a released type with no current schema is itself a break."""
    found: list[Violation] = []
    for event_type, old in sorted(released.items()):
        new = current.get(event_type)
        if new is None:
            found.append(Violation(event_type, "", "type-removed", "released type has no model"))
        else:
            found.extend(check(event_type, old, new))
    return found


@dataclass
class _Walk:
    type: str
    old_root: Schema
    new_root: Schema
    found: list[Violation]

    def add(self, path: str, rule: str, detail: str) -> None:
        self.found.append(Violation(self.type, path, rule, detail))


def resolve(root: Schema, schema: Schema, seen: int = 0) -> Schema:
    """Follow local `$ref`s (`#/$defs/X`), merging sibling keywords over the target."""
    while "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, not {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def branches(root: Schema, schema: Schema) -> dict[str, Schema]:
    """The alternatives of a schema keyed by JSON type (anyOf/oneOf/type lists flattened)."""
    schema = resolve(root, schema)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        merged: dict[str, Schema] = {}
        for alt in alternatives:
            for kind, sub in branches(root, alt).items():
                merged.setdefault(kind, sub)
        return merged
    declared = schema.get("type")
    if isinstance(declared, list):
        return {t: {**schema, "type": t} for t in declared}
    if isinstance(declared, str):
        return {declared: schema}
    if "const" in schema:
        return {_json_type(schema["const"]): schema}
    if "enum" in schema:
        return {_json_type(v): schema for v in schema["enum"]}
    if "properties" in schema:
        return {"object": schema}
    return {"any": schema}


def _compare(walk: _Walk, old: Schema, new: Schema, path: str) -> None:
    old_b, new_b = branches(walk.old_root, old), branches(walk.new_root, new)
    if "any" in new_b and "any" not in old_b:
        walk.add(path, "type-widened", f"{sorted(old_b)} -> any")
        return
    if "any" in old_b and "any" not in new_b:
        walk.add(path, "type-narrowed", f"any -> {sorted(new_b)}")
        return
    # an integer is a number: integer -> number widens, number -> integer narrows
    lost = {t for t in old_b if t not in new_b and not (t == "integer" and "number" in new_b)}
    gained = {t for t in new_b if t not in old_b and not (t == "integer" and "number" in old_b)}
    if lost:
        walk.add(path, "type-narrowed", f"no longer accepts {sorted(lost)}")
    if gained:
        walk.add(path, "type-widened", f"now also accepts {sorted(gained)}")
    if "number" in new_b and "integer" in old_b and "number" not in old_b:
        walk.add(path, "type-widened", "integer -> number")
    if "integer" in new_b and "number" in old_b and "number" not in new_b:
        walk.add(path, "type-narrowed", "number -> integer")
    for kind in sorted(set(old_b) & set(new_b)):
        _compare_same_type(walk, old_b[kind], new_b[kind], path, kind)


def _compare_same_type(walk: _Walk, old: Schema, new: Schema, path: str, kind: str) -> None:
    _compare_values(walk, old, new, path)
    _compare_bounds(walk, old, new, path)
    if kind == "object":
        _compare_objects(walk, old, new, path)
    elif (
        kind == "array"
        and isinstance(old.get("items"), dict)
        and isinstance(new.get("items"), dict)
    ):
        _compare(walk, old["items"], new["items"], f"{path}[]")


def _compare_values(walk: _Walk, old: Schema, new: Schema, path: str) -> None:
    """const and enum: the set of allowed values may not change in either direction."""
    if "const" in old or "const" in new:
        if old.get("const", ...) != new.get("const", ...):
            old_v = old.get("const", old.get("enum", "any"))
            walk.add(path, "const-changed", f"{old_v!r} -> {new.get('const', 'not const')!r}")
        return
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum is None and new_enum is None:
        return
    if old_enum is None:
        walk.add(path, "enum-value-removed", "a free value became a code set")
        return
    if new_enum is None:
        walk.add(path, "enum-value-added", "a code set became a free value")
        return
    removed = [v for v in old_enum if v not in new_enum]
    added = [v for v in new_enum if v not in old_enum]
    if removed:
        walk.add(path, "enum-value-removed", f"{removed!r}")
    if added:
        walk.add(path, "enum-value-added", f"{added!r}")


def _compare_bounds(walk: _Walk, old: Schema, new: Schema, path: str) -> None:
    for key in _LOWER_BOUNDS + _UPPER_BOUNDS + _EXACT:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        detail = f"{key} {before!r} -> {after!r}"
        if key in _EXACT:
            # a changed pattern or format can reject old values and emit values old readers reject
            if before is None:
                walk.add(path, "type-narrowed", detail)
            elif after is None:
                walk.add(path, "type-widened", detail)
            else:
                walk.add(path, "type-narrowed", detail)
                walk.add(path, "type-widened", detail)
            continue
        tighter = before is None or (
            after is not None and (after > before if key in _LOWER_BOUNDS else after < before)
        )
        walk.add(path, "type-narrowed" if tighter else "type-widened", detail)


def _compare_objects(walk: _Walk, old: Schema, new: Schema, path: str) -> None:
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    old_req, new_req = set(old.get("required", ())), set(new.get("required", ()))
    for name in sorted(old_props):
        sub = f"{path}.{name}" if path else name
        if name not in new_props:
            walk.add(sub, "field-removed", "a released field must stay")
            continue
        _compare(walk, old_props[name], new_props[name], sub)
    for name in sorted(new_req - old_req):
        sub = f"{path}.{name}" if path else name
        walk.add(sub, "field-made-required", "old events may not carry it")
    for name in sorted((old_req - new_req) & set(new_props)):
        sub = f"{path}.{name}" if path else name
        walk.add(sub, "field-made-optional", "old readers rely on it being present")
    old_extra, new_extra = (
        old.get("additionalProperties", True),
        new.get("additionalProperties", True),
    )
    if old_extra is not False and new_extra is False:
        walk.add(path, "type-narrowed", "additionalProperties became false")
