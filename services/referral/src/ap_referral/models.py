"""HTTP request bodies of the referral API (docs/http-api.md). Field names are the contract."""

from typing import Annotated, Literal

from ap_chassis.bounds import Day, FreeText
from ap_schemas.codes import (
    Ethnicity,
    ReferralReason,
    Route,
    SenProvision,
    Sex,
    Tier,
    Uln,
    Uprn,
    Urn,
)
from ap_schemas.events import AddressLine, FsmPeriod, Referrer
from ap_schemas.upn import Upn
from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=100)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferralIn(Body):
    upn: Upn
    forename: Name
    surname: Name
    middle_names: Name | None = None
    preferred_surname: Name | None = None
    date_of_birth: Day
    sex: Sex
    ethnicity: Ethnicity | None = None
    sen_provision: SenProvision
    fsm_eligible: bool | None = None
    postcode: Annotated[str, Field(pattern=r"^[A-Za-z0-9 ]{2,10}$")] | None = None
    home_school_urn: Urn | None = None
    referrer: Referrer
    reason: ReferralReason
    tier_requested: Tier
    referred_on: Day
    excluded_on: Day | None = None
    # for the AP census (docs/returns.md#ap-census); carried on journey.identity
    uln: Uln | None = None
    address_lines: Annotated[list[AddressLine], Field(max_length=5)] | None = None
    uprn: Uprn | None = None
    service_child: bool | None = None
    fsm_periods: Annotated[list[FsmPeriod], Field(max_length=20)] | None = None
    # school_arranged: AP the referring school arranges for a pupil on its roll (its own
    # decision, accepted at once); absent or la_arranged: the LA decides
    route: Route | None = None


class DecisionIn(Body):
    decision: Literal["accepted", "declined"]
    decided_on: Day
    reason: FreeText | None = None


class WithdrawalIn(Body):
    withdrawn_on: Day
    reason: FreeText


class IdentityChangeApplyIn(Body):
    """Applying a proposed identity change takes no fields: the change itself is the content."""


class ErasureIn(Body):
    reason: FreeText
