"""Code sets of domain.md that are settled facts, as types.

Unconfirmed ones live in codesets/*.json.
"""

import json
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import StringConstraints

Sex = Literal["F", "M", "U"]
SenProvision = Literal["E", "K", "N"]
Ethnicity = Literal[
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
]  # fmt: skip
SettingType = Literal["NFE", "OOT", "OTH", "WBP"]
Tier = Literal[1, 2, 3]
ReferralReason = Literal[
    "permanent_exclusion", "suspension", "at_risk_of_exclusion", "mental_health_need",
    "physical_health_need", "ehc_plan_named", "other",
]  # fmt: skip
Decision = Literal["accepted", "declined"]
ReferrerKind = Literal["school", "local_authority"]
CommissionerKind = Literal["local_authority", "school"]
CostPer = Literal["session", "week", "term", "year"]
EndReason = Literal[
    "completed", "reintegrated", "moved_provider", "breakdown", "left_area", "other"
]
Progress = Literal["exceeding", "expected", "below", "concern"]
ReviewOutcome = Literal["continue", "extend", "plan_reintegration", "end_placement"]
ReintegrationMode = Literal["full_time", "phased"]

Urn = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
Ukprn = Annotated[str, StringConstraints(pattern=r"^1\d{7}$")]


@cache
def codeset(name: str) -> dict[str, str]:
    """A code set kept as data (codesets/<name>.json) so an authority can correct it."""
    text = resources.files(__package__).joinpath("codesets", f"{name}.json").read_text()
    return dict(json.loads(text)["codes"])


@cache
def _destination_ranges() -> tuple[tuple[int, int, str], ...]:
    text = resources.files(__package__).joinpath("codesets", "destinations.json").read_text()
    return tuple((r["from"], r["to"], r["group"]) for r in json.loads(text)["ranges"])


def destination_group(activity_code: int) -> str | None:
    """The reporting group of a post-16 activity code, or None when the code is not in the set."""
    for low, high, group in _destination_ranges():
        if low <= activity_code <= high:
            return group
    return None
