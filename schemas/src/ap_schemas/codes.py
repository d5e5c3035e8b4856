"""Code sets that are settled facts (docs/glossary.md), as types.

Unconfirmed ones live in codesets/*.json.
"""

import json
from dataclasses import dataclass
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
# How AP is arranged: through the LA's decision, or by a school for a pupil on its roll.
Route = Literal["la_arranged", "school_arranged"]
CommissionerKind = Literal["local_authority", "school"]
FundedBy = Literal["local_authority", "school", "other"]  # who pays for a placement
CostPer = Literal["session", "week", "term", "year"]
EndReason = Literal[
    "completed", "reintegrated", "moved_provider", "breakdown", "left_area", "other"
]
Progress = Literal["exceeding", "expected", "below", "concern"]
ReviewOutcome = Literal["continue", "extend", "plan_reintegration", "end_placement"]
ReintegrationMode = Literal["full_time", "phased"]

Urn = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
Ukprn = Annotated[str, StringConstraints(pattern=r"^1\d{7}$")]
Uln = Annotated[str, StringConstraints(pattern=r"^\d{10}$")]  # unique learner number
Uprn = Annotated[str, StringConstraints(pattern=r"^\d{1,12}$")]  # unique property reference


@cache
def codeset(name: str) -> dict[str, str]:
    """A code set kept as data (codesets/<name>.json) so an authority can correct it."""
    text = resources.files(__package__).joinpath("codesets", f"{name}.json").read_text()
    return dict(json.loads(text)["codes"])


@dataclass(frozen=True)
class DestinationCode:
    """One row of codesets/destinations.json: an NCCIS activity code and its reporting group.

    `group` is None for a code that is listed only to be refused (`refused` says why: pre-16).
    `mark` says how sure the grouping is (V verified, S secondary, I inferred:
    docs/returns.md#how-sure-each-fact-is).
    """

    code: int
    meaning: str
    group: str | None
    mark: str
    refused: str | None = None
    sustain_as: str | None = None


@cache
def destination_codes() -> dict[int, DestinationCode]:
    """The destination code table, by code."""
    text = resources.files(__package__).joinpath("codesets", "destinations.json").read_text()
    return {row["code"]: DestinationCode(**row) for row in json.loads(text)["codes"]}


@cache
def sustain_months() -> dict[str, int]:
    """Months a later confirmation must follow a destination for it to count as sustained."""
    text = resources.files(__package__).joinpath("codesets", "destinations.json").read_text()
    return dict(json.loads(text)["sustained"]["months"])


def destination_group(activity_code: int) -> str | None:
    """The reporting group of a post-16 activity code; None for a refused or unknown code."""
    row = destination_codes().get(activity_code)
    return row.group if row else None


def destination_refusal(activity_code: int) -> str | None:
    """Why a code is not accepted as a post-16 destination, or None when it is."""
    row = destination_codes().get(activity_code)
    if row is None:
        return f"{activity_code} is not in the post-16 destination code set"
    return row.refused
