"""Every setting an authority can change about reporting, in one object loaded once.

The values come from one data file (codesets/reporting_policy.json) and the destination groups
from the schema package's code table (codesets/destinations.json); the clock limits may be set in
the environment too (JOURNEY_CLOCK_..., in weeks, as deploy/README.md documents), which wins.
Every rule and every SQL query takes its settings from here (SQL as bind parameters), so one
edit reaches every route and page.
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True, slots=True)
class Phase:
    phase: str
    from_year: int
    to_year: int


@dataclass(frozen=True, slots=True)
class Policy:
    """What an authority decides. A count under `suppress_below_pupils` (0 too while
    `suppress_zero`) is withheld from the roles that see suppressed figures, by every route; a
    placement of fewer than `full_time_sessions` sessions a week (none or 0 recorded: full time)
    is part time."""

    suppress_below_pupils: int
    suppress_zero: bool
    review_interval_days: int
    part_time_limit_days: int
    sustainment_window_days: int
    full_time_sessions: int
    phases: tuple[Phase, ...]
    destination_groups: tuple[str, ...]

    def small(self, count: int) -> bool:
        """A count withheld from the suppressed roles (the one rule, with its 0 rule)."""
        return count < self.suppress_below_pupils and (count > 0 or self.suppress_zero)

    def phase_arrays(self) -> tuple[list[int], list[int], list[str]]:
        """The phase bands as three arrays (from year, to year, phase), for SQL."""
        return (
            [p.from_year for p in self.phases],
            [p.to_year for p in self.phases],
            [p.phase for p in self.phases],
        )


class ClockEnvironment(BaseSettings):
    """Clock limits set in the environment (JOURNEY_CLOCK_..., weeks); unset: the data file's."""

    model_config = SettingsConfigDict(env_prefix="JOURNEY_CLOCK_", frozen=True)

    part_time_limit_weeks: int | None = Field(default=None, ge=1)
    review_weeks: int | None = Field(default=None, ge=1)
    sustainment_window_weeks: int | None = Field(default=None, ge=1)


def _data(package: str, *path: str) -> dict[str, Any]:
    return dict(json.loads(resources.files(package).joinpath(*path).read_text()))


def build_policy(data: dict[str, Any], groups: list[str], environment: ClockEnvironment) -> Policy:
    """The policy from the data file's values, the destination groups and the environment."""

    def days(key: str, weeks: int | None) -> int:
        return 7 * weeks if weeks is not None else int(data[key])

    return Policy(
        suppress_below_pupils=int(data["suppress_below_pupils"]),
        suppress_zero=bool(data["suppress_zero"]),
        review_interval_days=days("review_interval_days", environment.review_weeks),
        part_time_limit_days=days("part_time_limit_days", environment.part_time_limit_weeks),
        sustainment_window_days=days(
            "sustainment_window_days", environment.sustainment_window_weeks
        ),
        full_time_sessions=int(data["full_time_sessions"]),
        phases=tuple(
            Phase(str(p["phase"]), int(p["from_year"]), int(p["to_year"])) for p in data["phases"]
        ),
        destination_groups=tuple(str(g) for g in groups),
    )


@cache
def policy() -> Policy:
    """The policy in force, loaded once per process."""
    return build_policy(
        _data(__package__ or "ap_reporting", "codesets", "reporting_policy.json"),
        list(_data("ap_schemas", "codesets", "destinations.json")["groups"]),
        ClockEnvironment(),
    )
