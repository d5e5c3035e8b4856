"""Compatibility with released schemas: each rule breaks and does not break (pure), and CI guard."""

import json
from datetime import date
from typing import Literal
from uuid import UUID

import pytest
from ap_schemas import compat, export
from ap_schemas.codes import SenProvision, Urn
from ap_schemas.events import SPECS, EventSpec, PupilEventData, PupilReferredV1, Referrer

OBJ = {
    "type": "object",
    "properties": {
        "a": {"type": "string", "maxLength": 10},
        "b": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}], "default": None},
        "kind": {"enum": ["x", "y"], "type": "string"},
        "v": {"const": "1.0", "type": "string"},
        "nested": {"$ref": "#/$defs/N"},
    },
    "required": ["a", "kind", "v", "nested"],
    "$defs": {"N": {"type": "object", "properties": {"c": {"type": "string"}}, "required": ["c"]}},
}


def changed(edit) -> dict:
    new = json.loads(json.dumps(OBJ))
    edit(new)
    return new


def rules(new: dict) -> set[tuple[str, str]]:
    return {(v.path, v.rule) for v in compat.check("t.v1", OBJ, new)}


def test_identical_and_annotation_changes_are_compatible():
    assert rules(changed(lambda s: None)) == set()

    def annotate(s):
        s["$id"] = "https://x/t.v1.json"
        s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        s["properties"]["a"]["description"] = "now documented"
        s["properties"]["b"]["title"] = "B"
        s["x-topic"] = "t"

    assert rules(changed(annotate)) == set()


# each rule: (a breaking edit, the finding), and a non-breaking edit near it -------------------

BREAKING = {
    "field-removed": (lambda s: s["properties"].pop("b"), ("b", "field-removed")),
    "field-removed-nested": (
        lambda s: s["$defs"]["N"]["properties"].pop("c"),
        ("nested.c", "field-removed"),
    ),
    "field-made-required": (lambda s: s["required"].append("b"), ("b", "field-made-required")),
    "new-required-field": (
        lambda s: (s["properties"].update(d={"type": "string"}), s["required"].append("d")),
        ("d", "field-made-required"),
    ),
    "field-made-optional": (lambda s: s["required"].remove("a"), ("a", "field-made-optional")),
    "type-narrowed": (
        lambda s: s["properties"].update(b={"type": "integer"}),
        ("b", "type-narrowed"),
    ),
    "type-narrowed-bound": (
        lambda s: s["properties"]["a"].update(maxLength=5),
        ("a", "type-narrowed"),
    ),
    "type-narrowed-pattern": (
        lambda s: s["properties"]["a"].update(pattern="^x$"),
        ("a", "type-narrowed"),
    ),
    "type-widened": (
        lambda s: s["properties"].update(a={"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        ("a", "type-widened"),
    ),
    "enum-value-removed": (
        lambda s: s["properties"]["kind"].update(enum=["x"]),
        ("kind", "enum-value-removed"),
    ),
    "enum-value-added": (
        lambda s: s["properties"]["kind"].update(enum=["x", "y", "z"]),
        ("kind", "enum-value-added"),
    ),
    "const-changed": (
        lambda s: s["properties"]["v"].update(const="2.0"),
        ("v", "const-changed"),
    ),
    "nested-type-narrowed-through-ref": (
        lambda s: s["$defs"]["N"]["properties"].update(c={"type": "string", "format": "uuid"}),
        ("nested.c", "type-narrowed"),
    ),
}

# the non-breaking neighbour of each rule: what may change near it
COMPATIBLE = {
    "field-removed: an optional field added instead": lambda s: s["properties"].update(
        d={"type": "string"}
    ),
    "field-removed (nested): an optional nested field added": lambda s: s["$defs"]["N"][
        "properties"
    ].update(e={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}),
    "field-made-required: required listed in another order": lambda s: s["required"].reverse(),
    "field-made-optional: a default documented": lambda s: s["properties"]["a"].update(
        default="x", description="a default for writers"
    ),
    "type-narrowed: the same types in another spelling": lambda s: s["properties"]["b"].update(
        anyOf=[{"type": "null"}, {"type": "integer", "minimum": 0}]
    ),
    "type-narrowed (bound): the same bound, retitled": lambda s: s["properties"]["a"].update(
        maxLength=10, title="A"
    ),
    "type-widened: a $ref inlined": lambda s: s["properties"].update(nested=s["$defs"]["N"]),
    "enum-value-removed/added: the same codes reordered": lambda s: s["properties"]["kind"].update(
        enum=["y", "x"]
    ),
    "const-changed: the same const, described": lambda s: s["properties"]["v"].update(
        description="the version"
    ),
}


@pytest.mark.parametrize("case", BREAKING, ids=str)
def test_each_rule_catches_its_breaking_change(case):
    edit, finding = BREAKING[case]
    assert finding in rules(changed(edit))


@pytest.mark.parametrize("case", COMPATIBLE, ids=str)
def test_compatible_changes_pass(case):
    assert rules(changed(COMPATIBLE[case])) == set()


def test_a_removed_type_is_a_break_and_a_new_type_is_not():
    found = compat.check_all({"t.v1": OBJ}, {"t.v2": OBJ})
    assert [(v.type, v.rule) for v in found] == [("t.v1", "type-removed")]
    assert compat.check_all({"t.v1": OBJ}, {"t.v1": OBJ, "t.v2": {"type": "object"}}) == []


def test_a_violation_says_type_path_and_rule():
    (v,) = compat.check("t.v1", OBJ, changed(lambda s: s["properties"].pop("a")))
    assert str(v).startswith("t.v1: a: field-removed")


# the real models -----------------------------------------------------------------------------


def test_every_model_is_compatible_with_its_released_schema():
    """CI guard: fails on any incompatible change to a released event type."""
    broken = export.incompatible()
    assert not broken, "\n".join(map(str, broken))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_every_event_type_is_released(spec):
    path = export.HERE / "released" / spec.schema_name
    assert path.exists(), f"run `make schemas` to release {spec.type}"


class DroppedReason(PupilEventData):
    """PupilReferredV1 with `reason` dropped and `tier_requested` narrowed to 1 or 2."""

    referral_id: UUID
    referred_on: date
    referrer: Referrer
    tier_requested: Literal[1, 2]
    excluded_on: date | None = None
    sen_provision: SenProvision
    home_school_urn: Urn | None = None


class WithOptionalNote(PupilReferredV1):
    note: str | None = None


def test_make_schemas_refuses_a_breaking_model_and_names_the_rule(tmp_path, capsys):
    (tmp_path / "released").mkdir()
    name = "journey.pupil.referred.v1.json"
    (tmp_path / "released" / name).write_text((export.HERE / "released" / name).read_text())
    broken = EventSpec("journey.pupil.referred.v1", "journey.referrals", DroppedReason)
    assert export.main([broken], tmp_path) == 1
    err = capsys.readouterr().err
    assert "journey.pupil.referred.v1: data.reason: field-removed" in err
    assert "journey.pupil.referred.v1: data.tier_requested: enum-value-removed" in err
    assert not (tmp_path / "jsonschema").exists(), "nothing written when refused"

    fine = EventSpec("journey.pupil.referred.v1", "journey.referrals", WithOptionalNote)
    assert export.main([fine], tmp_path) == 0
    assert (tmp_path / "jsonschema" / name).exists()


def test_make_schemas_releases_a_new_type_once(tmp_path, capsys):
    spec = EventSpec("journey.pupil.referred.v2", "journey.referrals", DroppedReason)
    assert export.main([spec], tmp_path) == 0
    released = tmp_path / "released" / "journey.pupil.referred.v2.json"
    assert json.loads(released.read_text())["title"] == "journey.pupil.referred.v2"
    assert "released journey.pupil.referred.v2" in capsys.readouterr().out
    again = EventSpec("journey.pupil.referred.v2", "journey.referrals", PupilReferredV1)
    assert export.main([again], tmp_path) == 1, "the released v2 is now frozen"


def test_a_field_added_after_the_release_cannot_be_removed_again(tmp_path, capsys):
    (tmp_path / "released").mkdir()
    name = "journey.pupil.referred.v1.json"
    (tmp_path / "released" / name).write_text((export.HERE / "released" / name).read_text())
    grown = EventSpec("journey.pupil.referred.v1", "journey.referrals", WithOptionalNote)
    assert export.main([grown], tmp_path) == 0  # published with the optional `note`
    shrunk = EventSpec("journey.pupil.referred.v1", "journey.referrals", PupilReferredV1)
    assert export.main([shrunk], tmp_path) == 1
    assert "data.note: field-removed" in capsys.readouterr().err
    (tmp_path / "jsonschema" / name).write_text("<<<<<<< HEAD\n{}\n=======\n")  # a merge
    assert export.main([grown], tmp_path) == 0, "a conflicted generated file is regenerated"
