"""HTTP request bodies of the placement API (docs/http-api.md). Field names are the contract."""

from typing import Annotated
from uuid import UUID

from ap_chassis.bounds import AmountPence, Day, FreeText
from ap_schemas.codes import EndReason, FundedBy, SettingType, Tier, Ukprn, Urn
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
    state_ap: bool = False  # a PRU, AP academy or AP free school: out of the AP census


class CostIn(Cost):
    """The contract's cost, with a real upper bound on the amount."""

    amount_pence: AmountPence


class PlacementIn(Body):
    referral_id: UUID
    provider_id: UUID
    commissioner: Commissioner
    tier: Tier
    start_date: Day
    planned_end_date: Day | None = None
    sessions_per_week: Annotated[int, Field(ge=1, le=10)]
    # absent: the provider's contract for the tier on start_date, else not known (placed.v2)
    cost: CostIn | None = Field(default=None, description="omit (or null) when not known")
    dual_registered: bool
    funded_by: FundedBy | None = None  # who pays; the commissioner's kind when absent
    phase: Phase | None = None  # counts against the provider's capacity for tier and phase
    override_reason: FreeText | None = None
    # school-arranged AP: when the school gave notice (late notice is recorded and warned, never
    # refused) and whether it is an off-site direction
    notice_given_on: Day | None = None
    off_site_direction: bool | None = None


class PlacementEndIn(Body):
    end_date: Day
    reason: EndReason
