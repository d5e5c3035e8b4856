"""The shared vocabulary of every service's access policy (each service has its own `access.py`).

One rule decides 403 against 404 everywhere:
- **404** when the caller may not know the resource exists (it is not party to it): the answer is
  the same as for an id that was never issued, so probing ids reveals nothing;
- **403** when the caller's role can never do the action, or the caller is party to the resource
  (it already knows it exists) but may not do this to it.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .auth import Principal, require
from .errors import ForbiddenError, NotFoundError

Outcome = Literal["allow", "403", "404"]
ALLOW: Outcome = "allow"
FORBIDDEN: Outcome = "403"
NOT_FOUND: Outcome = "404"
OUTCOMES: tuple[Outcome, ...] = (ALLOW, FORBIDDEN, NOT_FOUND)


@dataclass(frozen=True)
class NamedParty:
    """The party a new command names for itself: a referrer or a commissioner (kind, urn)."""

    kind: str
    urn: str | None

    def is_school(self, urn: str | None) -> bool:
        """Whether this party is the school with this URN."""
        return self.kind == "school" and urn is not None and self.urn == urn


def enforce(outcome: Outcome, *, action: str, what: str) -> None:
    """Raise the problem an outcome stands for; `what` names the resource (ids only)."""
    if outcome == NOT_FOUND:
        raise NotFoundError(f"no {what}")
    if outcome == FORBIDDEN:
        raise ForbiddenError(f"this role or scope may not {action.replace('_', ' ')} {what}")


def tenant(principal: Principal) -> str:
    """Who a principal acts for, as one string: role and its scope claim (urn or provider)."""
    return f"{principal.role}:{principal.urn or principal.provider_id or '-'}"


class Policy:
    """A service's table of (role, relation, action) -> outcome; what is absent is 403."""

    def __init__(self, table: Mapping[tuple[str, str, str], Outcome]) -> None:
        self.table = dict(table)

    def outcome(self, role: str, relation: str, action: str) -> Outcome:
        """The table's answer for (role, relation, action); 403 for a missing row."""
        return self.table.get((role, relation, action), FORBIDDEN)

    def role_may(self, role: str, action: str) -> bool:
        """Whether the role may ever do the action (to something it is party to)."""
        return any(r == role and a == action and o == ALLOW for (r, _, a), o in self.table.items())

    def requires(self, action: str) -> Callable[..., Awaitable[Principal]]:
        """A FastAPI dependency: an authenticated caller whose role may ever do `action`."""
        roles = sorted({r for (r, _, a), o in self.table.items() if a == action and o == ALLOW})
        return require(*roles)  # type: ignore[arg-type]

    def check_role(self, principal: Principal, action: str) -> None:
        """403 before any lookup when the caller's role can never do this: reveals nothing."""
        if not self.role_may(principal.role, action):
            enforce(FORBIDDEN, action=action, what="here")


ROLE_COLUMNS = ("la_officer", "school", "provider", "analyst", "auditor")


def read_grid(text: str) -> list[tuple[str, str, str, Outcome]]:
    """A policy specification written as a grid, one row per (action, relation), one column per
    role in ROLE_COLUMNS order: `action relation outcome x5` -> [(role, relation, action, out)].
    Tests compare every cell with the service's `can`."""
    cells: list[tuple[str, str, str, Outcome]] = []
    for line in text.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        action, relation, *outcomes = line.split()
        if len(outcomes) != len(ROLE_COLUMNS) or not set(outcomes) <= set(OUTCOMES):
            raise ValueError(f"bad policy row: {line!r}")
        for role, outcome in zip(ROLE_COLUMNS, outcomes, strict=True):
            cells.append((role, relation, action, outcome))  # type: ignore[arg-type]
    return cells


def uncovered(
    policy: Policy, actions: Iterable[str], cells: list[tuple[str, str, str, Outcome]]
) -> list[str]:
    """What a specification grid misses: actions without a row, and policy entries whose
    (role, action, outcome) no cell states. Empty when the grid covers the whole policy."""
    missing = [f"action {a}" for a in actions if a not in {c[2] for c in cells}]
    stated = {(r, a, o) for r, _, a, o in cells}
    missing += [
        f"{r} {rel} {a}" for (r, rel, a), o in policy.table.items() if (r, a, o) not in stated
    ]
    return missing
