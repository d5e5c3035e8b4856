"""HTTP request bodies of the placement API (api.md). Field names are the contract."""

from datetime import date
from typing import Annotated
from uuid import UUID

from ap_schemas.codes import EndReason, SettingType, Tier, Ukprn, Urn
from ap_schemas.events import Commissioner, Cost, Phase
from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    urn: Urn | None = None
    ukprn: Ukprn | None = None
    setting_type: SettingType | None = None
    registered: bool


class PlacementIn(Body):
    referral_id: UUID
    provider_id: UUID
    commissioner: Commissioner
    tier: Tier
    start_date: date
    planned_end_date: date | None = None
    sessions_per_week: Annotated[int, Field(ge=1, le=10)]
    cost: Cost | None = None  # absent: the provider's contract for the tier on start_date
    dual_registered: bool
    phase: Phase | None = None  # counts against the provider's capacity for tier and phase
    override_reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class PlacementEndIn(Body):
    end_date: date
    reason: EndReason
