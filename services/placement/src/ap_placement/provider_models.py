"""HTTP request bodies for provider quality, capacity and contracts (docs/http-api.md)."""

from datetime import date
from typing import Annotated

from ap_schemas.codes import Tier, Urn
from ap_schemas.events import CheckOutcome, Cost, Phase, ProviderCheck
from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckIn(Body):
    """`outcome` is passed|failed for every check; a qa_visit may instead say approved,
    approved_with_conditions (both count as passed) or not_approved (counts as failed)."""

    check: ProviderCheck
    checked_on: date
    expires_on: date
    outcome: CheckOutcome
    officer_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class InspectionIn(Body):
    ofsted_urn: Urn | None = None
    inspected_on: date
    published_on: date | None = None
    judgement: Annotated[str, Field(min_length=1, max_length=40)]


class CapacityIn(Body):
    tier: Tier
    phase: Phase
    places: Annotated[int, Field(ge=0, le=10_000)]
    effective_from: date


class ContractIn(Body):
    tier: Tier
    starts_on: date
    ends_on: date
    cost: Cost


class RegistrationIn(Body):
    """A change of registration; `ofsted_urn` (6 digits) is required when `registered`."""

    registered: bool
    ofsted_urn: Urn | None = None
    changed_on: date
