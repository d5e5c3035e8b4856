"""What the placement service's write commands answer (docs/http-api.md).

Field order is the JSON's.
"""

from typing import Literal
from uuid import UUID

from pydantic import BaseModel


class Result(BaseModel):
    """Every answer names the events the command recorded, last."""


class ProviderChanged(Result):
    """A provider registered, or its capacity set."""

    provider_id: UUID
    event_ids: list[str]


class PupilPlaced(Result):
    placement_id: UUID
    pupil_id: UUID
    annual_cost_pence: int | None
    warnings: list[str]
    event_ids: list[str]


class PlacementEnded(Result):
    placement_id: UUID
    pupil_id: UUID
    status: Literal["ended"] = "ended"
    event_ids: list[str]


class CheckRecorded(Result):
    check_id: UUID
    provider_id: UUID
    approved: bool
    lapsed_checks: list[str]
    event_ids: list[str]
    queries: list[dict[str, str]] = []  # for an officer to look at, not errors: {check, field, ...}


class ProviderInspected(Result):
    provider_id: UUID
    judgement_text: str
    event_ids: list[str]


class ContractAgreed(Result):
    contract_id: UUID
    provider_id: UUID
    event_ids: list[str]


class RegistrationChanged(Result):
    provider_id: UUID
    registered: bool
    ofsted_urn: str | None
    event_ids: list[str]
