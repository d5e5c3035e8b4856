"""Which role an identity provider's claims give: a table the authority edits as data.

Each IdP names groups, app roles and organisations in its own vocabulary (Entra ID app roles or
group ids, DfE Sign-in's `organisation` object). The mapping file translates that vocabulary into
this platform's five roles, so an authority changes who may do what without a release. Rules are
tried in the file's order and the first that matches decides; claims that match no rule give no
role at all (the caller is refused, never let in as a default role). Pure: no I/O but `load`.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .auth import Role

_URN = re.compile(r"^\d{6}$")
_PROVIDER_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")
GRANTED_BY_VALUE = ("la_officer", "analyst", "auditor")


class ClaimTypeError(ValueError):
    """A claim the mapping reads has the wrong type or shape (its value is never echoed)."""

    def __init__(self, claim: str, expected: str) -> None:
        super().__init__(f"the {claim} claim must be {expected}")
        self.claim = claim


class Rule(BaseModel):
    """One line of the table: the claim (a dotted path into nested objects) and what it gives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: str = Field(pattern=r"^[A-Za-z_][\w:/.-]{0,199}$")
    role: Role
    value: str | None = Field(default=None, min_length=1, max_length=200)
    note: str = ""

    @model_validator(mode="after")
    def _value_fits_role(self) -> "Rule":
        if self.role in GRANTED_BY_VALUE and self.value is None:
            raise ValueError(f"a {self.role} rule names the claim value that grants it (value)")
        if self.role not in GRANTED_BY_VALUE and self.value is not None:
            raise ValueError(f"a {self.role} rule takes its scope from the claim: no value")
        return self


class MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    rules: tuple[Rule, ...] = Field(min_length=1)


@dataclass(frozen=True)
class Mapped:
    """The role the claims give, with the school's URN or the provider's id it is scoped to."""

    role: Role
    urn: str | None = None
    provider_id: str | None = None


def _lookup(claims: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (`organisation.urn`), or None where any step is missing.

    A whole claim name that contains dots (a URI-style claim) is tried first."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for step in path.split("."):
        if not isinstance(value, dict):
            raise ClaimTypeError(path.split(".")[0], "an object")
        value = value.get(step)
        if value is None:
            return None
    return value


def _values(claim: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ClaimTypeError(claim, "a string or a list of strings")


@dataclass(frozen=True)
class ClaimMapping:
    rules: tuple[Rule, ...]

    def map(self, claims: dict[str, Any]) -> Mapped | None:
        """The first rule's role that these claims satisfy; None if no rule does.

        Raises ClaimTypeError when a claim a rule reads is present with the wrong type."""
        for rule in self.rules:
            value = _lookup(claims, rule.claim)
            if value is None:
                continue
            if rule.role in GRANTED_BY_VALUE:
                if rule.value in _values(rule.claim, value):
                    return Mapped(rule.role)
            elif rule.role == "school":
                if not (isinstance(value, str) and _URN.match(value)):
                    raise ClaimTypeError(rule.claim, "a six-digit URN string")
                return Mapped("school", urn=value)
            else:
                if not (isinstance(value, str) and _PROVIDER_ID.match(value)):
                    raise ClaimTypeError(rule.claim, "a provider id string")
                return Mapped("provider", provider_id=value)
        return None


def parse(document: Any) -> ClaimMapping:
    """A mapping from the file's parsed JSON; ValueError naming what is wrong."""
    try:
        return ClaimMapping(MappingFile.model_validate(document).rules)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise ValueError(f"claim mapping: {where}: {first['msg']}") from None


def load(path: str | Path) -> ClaimMapping:
    """The mapping file at `path` (read at start-up, so a bad file stops the service early)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"claim mapping {path}: {type(exc).__name__}: {exc}") from None
    return parse(document)
