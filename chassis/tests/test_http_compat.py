"""The HTTP contract guard: each breaking change is refused, each additive one allowed. Pure."""

import copy
import json

import pytest
from ap_chassis import http_compat

RELEASED = {
    "openapi": "3.1.0",
    "paths": {
        "/v1/things": {
            "post": {
                "parameters": [
                    {"name": "dry_run", "in": "query", "required": False,
                     "schema": {"type": "boolean"}},
                ],
                "requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ThingIn"}}}},
                "responses": {
                    "201": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "422": {"description": "invalid"},
                },
            },
        },
        "/v1/things/{thing_id}": {"get": {"responses": {"200": {"description": "the thing"}}}},
    },
    "components": {"schemas": {
        "ThingIn": {
            "type": "object", "additionalProperties": False, "required": ["kind", "name"],
            "properties": {
                "kind": {"enum": ["a", "b"], "type": "string"},
                "name": {"type": "string", "maxLength": 100},
                "officer_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        },
        "Thing": {
            "type": "object", "required": ["thing_id", "status"],
            "properties": {"thing_id": {"type": "string"},
                           "status": {"enum": ["open", "ended"], "type": "string"}},
        },
    }},
}  # fmt: skip


def changed(edit) -> dict:
    doc = copy.deepcopy(RELEASED)
    edit(doc)
    return doc


def rules(doc: dict) -> set[tuple[str, str]]:
    return {(v.path, v.rule) for v in http_compat.check("svc", RELEASED, doc)}


def thing_in(doc: dict) -> dict:
    schema: dict = doc["components"]["schemas"]["ThingIn"]
    return schema


POST = "POST /v1/things"
BREAKING = {
    "request field added as required": (
        lambda d: (
            thing_in(d)["properties"].update(tier={"type": "integer"}),
            thing_in(d)["required"].append("tier"),
        ),
        (f"{POST} request.tier", "field-made-required"),
    ),
    "optional request field made required": (
        lambda d: thing_in(d)["required"].append("officer_id"),
        (f"{POST} request.officer_id", "field-made-required"),
    ),
    "request field removed": (
        lambda d: thing_in(d)["properties"].pop("officer_id"),
        (f"{POST} request.officer_id", "field-removed"),
    ),
    "request field renamed": (
        lambda d: thing_in(d)["properties"].update(officer=thing_in(d)["properties"].pop("name")),
        (f"{POST} request.name", "field-removed"),
    ),
    "request type narrowed": (
        lambda d: thing_in(d)["properties"].update(officer_id={"type": "string"}),
        (f"{POST} request.officer_id", "type-narrowed"),
    ),
    "request bound tightened": (
        lambda d: thing_in(d)["properties"]["name"].update(maxLength=10),
        (f"{POST} request.name", "type-narrowed"),
    ),
    "request enum value removed": (
        lambda d: thing_in(d)["properties"]["kind"].update(enum=["a"]),
        (f"{POST} request.kind", "enum-value-removed"),
    ),
    "response field removed": (
        lambda d: d["components"]["schemas"]["Thing"]["properties"].pop("status"),
        (f"{POST} response 201.status", "field-removed"),
    ),
    "response field made optional": (
        lambda d: d["components"]["schemas"]["Thing"]["required"].remove("status"),
        (f"{POST} response 201.status", "field-made-optional"),
    ),
    "status code removed": (
        lambda d: d["paths"]["/v1/things"]["post"]["responses"].pop("422"),
        (f"{POST} 422", "status-removed"),
    ),
    "path removed": (
        lambda d: d["paths"].pop("/v1/things/{thing_id}"),
        ("/v1/things/{thing_id}", "path-removed"),
    ),
    "method removed": (
        lambda d: d["paths"]["/v1/things"].update(put=d["paths"]["/v1/things"].pop("post")),
        (POST, "operation-removed"),
    ),
    "parameter removed": (
        lambda d: d["paths"]["/v1/things"]["post"]["parameters"].clear(),
        (f"{POST} query.dry_run", "field-removed"),
    ),
    "parameter added as required": (
        lambda d: d["paths"]["/v1/things"]["post"]["parameters"].append(
            {"name": "as_of", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        (f"{POST} query.as_of", "field-made-required"),
    ),
}

ADDITIVE = {
    "optional request field added": lambda d: thing_in(d)["properties"].update(
        route={"anyOf": [{"enum": ["x", "y"], "type": "string"}, {"type": "null"}]}
    ),
    "required request field made optional": lambda d: thing_in(d)["required"].remove("name"),
    "request enum value added": lambda d: thing_in(d)["properties"]["kind"].update(
        enum=["a", "b", "c"]
    ),
    "request bound loosened": lambda d: thing_in(d)["properties"]["name"].update(maxLength=500),
    "response field added": lambda d: d["components"]["schemas"]["Thing"]["properties"].update(
        queries={"type": "array", "items": {"type": "object"}}
    ),
    "status code added": lambda d: d["paths"]["/v1/things"]["post"]["responses"].update(
        {"409": {"description": "conflict"}}
    ),
    "path and method added": lambda d: d["paths"].update(
        {"/v1/other": {"get": {"responses": {"200": {"description": "ok"}}}}}
    ),
    "optional parameter added": lambda d: d["paths"]["/v1/things"]["post"]["parameters"].append(
        {"name": "as_of", "in": "query", "required": False, "schema": {"type": "string"}}
    ),
    "description changed": lambda d: thing_in(d).update(description="documented now"),
}


@pytest.mark.parametrize("case", BREAKING, ids=str)
def test_each_breaking_change_is_refused(case):
    edit, finding = BREAKING[case]
    assert finding in rules(changed(edit))


@pytest.mark.parametrize("case", ADDITIVE, ids=str)
def test_each_additive_change_is_allowed(case):
    assert rules(changed(ADDITIVE[case])) == set()


def test_make_openapi_refuses_a_break_and_releases_what_is_compatible(tmp_path, capsys):
    served = http_compat.served("placement")
    path = http_compat.released_path(tmp_path, "placement")
    path.parent.mkdir(parents=True)
    shrunk = copy.deepcopy(served)
    shrunk["paths"].pop("/v1/placements/{placement_id}/end")  # an older document: a subset
    path.write_text(json.dumps(shrunk))
    assert http_compat.main(tmp_path, ["placement"]) == 0, "adding a path is compatible"
    assert json.loads(path.read_text()) == served, "the release now includes it"

    grown = copy.deepcopy(served)
    grown["paths"]["/v1/gone"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    path.write_text(json.dumps(grown))
    assert http_compat.main(tmp_path, ["placement"]) == 1
    assert "placement: /v1/gone: path-removed" in capsys.readouterr().err
    assert json.loads(path.read_text()) == grown, "nothing released when refused"
