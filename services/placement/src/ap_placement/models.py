"""HTTP request bodies of the placement API (api.md). Field names are the contract."""

from datetime import date
from typing import Annotated
from uuid import UUID

from ap_schemas.codes import EndReason, SettingType, Tier, Ukprn, Urn
from ap_schemas.events import Commissioner, Cost
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
    cost: Cost | None = Field(default=None, description="omit (or null) when not known")
    dual_registered: bool


class PlacementEndIn(Body):
    end_date: date
    reason: EndReason
