"""Event data models, one per event type and version, and the registry that maps type to topic.

A published model is frozen: a change that could break a reader is a new `.v2` model beside it.
General topics carry the pseudonymous `pupil_id` only; identifying details travel on
`journey.identity` alone (docs/architecture.md#identity-and-privacy).
"""

import builtins
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import topics
from .codes import (
    CommissionerKind,
    CostPer,
    Decision,
    EndReason,
    Ethnicity,
    FundedBy,
    Progress,
    ReferralReason,
    ReferrerKind,
    ReintegrationMode,
    ReviewOutcome,
    Route,
    SenProvision,
    SettingType,
    Sex,
    Tier,
    Ukprn,
    Uln,
    Uprn,
    Urn,
)
from .upn import Upn

Text = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
AddressLine = Annotated[str, Field(min_length=1, max_length=100)]


class EventData(BaseModel):
    """Fields every event carries: `occurred_at` is the business date the thing happened on."""

    model_config = ConfigDict(frozen=True)
    occurred_at: date


class PupilEventData(EventData):
    pupil_id: UUID


# journey.referrals -------------------------------------------------------------------------


class Referrer(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: ReferrerKind
    urn: Urn | None = None

    @model_validator(mode="after")
    def _school_has_urn(self) -> "Referrer":
        if self.kind == "school" and self.urn is None:
            raise ValueError("a school referrer needs its urn")
        return self


class PupilReferredV1(PupilEventData):
    referral_id: UUID
    referred_on: date
    referrer: Referrer
    reason: ReferralReason
    tier_requested: Tier
    excluded_on: date | None = None
    sen_provision: SenProvision
    home_school_urn: Urn | None = None
    # Optional, added to v1 (readers ignore what they do not know): absent means la_arranged.
    route: Route | None = Field(
        default=None,
        description="la_arranged (absent): the LA decides; school_arranged: AP the referring "
        "school arranged for a pupil on its roll, decided by that school at once",
    )


class ReferralDecidedV1(PupilEventData):
    referral_id: UUID
    decision: Decision
    decided_on: date
    reason: Text | None = None
    decided_by_urn: Urn | None = Field(
        default=None,
        description="the school that decided its own school-arranged AP; absent: the LA",
    )


class ReferralWithdrawnV1(PupilEventData):
    referral_id: UUID
    withdrawn_on: date
    reason: Text


# journey.identity (personal data: read by reporting only) -----------------------------------


class FsmPeriod(BaseModel):
    """A period of eligibility for free school meals; open while `end_date` is None."""

    model_config = ConfigDict(frozen=True)
    start_date: date
    end_date: date | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> "FsmPeriod":
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("an FSM period cannot end before it starts")
        return self


class PupilIdentityRecordedV1(PupilEventData):
    upn: Upn
    former_upn: Upn | None = None
    forename: Name
    surname: Name
    middle_names: Name | None = None
    preferred_surname: Name | None = None
    date_of_birth: date
    sex: Sex
    ethnicity: Ethnicity | None = None
    fsm_eligible: bool | None = None
    postcode: Annotated[str, Field(max_length=10)] | None = None
    sen_provision: SenProvision
    # Items the AP census needs (docs/returns.md), optional: added to v1 because a reader of the
    # earlier fields is unaffected (pydantic and JSON Schema readers ignore unknown keys).
    uln: Uln | None = None
    address_lines: Annotated[list[AddressLine], Field(max_length=5)] | None = None
    uprn: Uprn | None = None
    service_child: bool | None = None
    fsm_periods: Annotated[list[FsmPeriod], Field(max_length=20)] | None = None


# journey.providers -----------------------------------------------------------------------


class ProviderEventData(EventData):
    """An event about a provider: keyed by `provider_id` on journey.providers."""

    provider_id: UUID


class ProviderRegisteredV1(ProviderEventData):
    name: Text
    urn: Urn | None = None
    ukprn: Ukprn | None = None
    setting_type: SettingType | None = None
    registered: bool
    state_ap: bool | None = Field(
        default=None, description="a PRU, AP academy or AP free school: out of the AP census"
    )


# journey.placements ----------------------------------------------------------------------


class Commissioner(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: CommissionerKind
    urn: Urn | None = None

    @model_validator(mode="after")
    def _school_has_urn(self) -> "Commissioner":
        if self.kind == "school" and self.urn is None:
            raise ValueError("a school commissioner needs its urn")
        return self


class Cost(BaseModel):
    model_config = ConfigDict(frozen=True)
    amount_pence: int = Field(gt=0)
    per: CostPer


class PupilPlacedV1(PupilEventData):
    placement_id: UUID
    referral_id: UUID
    provider_id: UUID
    commissioner: Commissioner
    tier: Tier
    start_date: date
    planned_end_date: date | None = None
    sessions_per_week: int = Field(ge=1, le=10)
    cost: Cost
    annual_cost_pence: int = Field(
        ge=0, description="the cost rule of docs/http-api.md, annualised"
    )
    dual_registered: bool
    reason: ReferralReason = Field(description="the primary reason: the referral's reason")
    funded_by: FundedBy | None = Field(
        default=None, description="who pays; when absent, the commissioner's kind"
    )
    notice_given_on: date | None = Field(
        default=None, description="when the school gave notice of the AP it arranged"
    )
    off_site_direction: bool | None = Field(
        default=None, description="a school-arranged placement made by an off-site direction"
    )


class PupilPlacedV2(PupilEventData):
    """A placement whose cost may not be known (the school census AP module carries none).

    v1 makes `cost` and `annual_cost_pence` required, so a placement without a known cost is a
    new version rather than a nullable edit that would break v1's readers. Placement publishes v2
    only for such placements; a placement with a known cost is still v1.
    """

    placement_id: UUID
    referral_id: UUID
    provider_id: UUID
    commissioner: Commissioner
    tier: Tier
    start_date: date
    planned_end_date: date | None = None
    sessions_per_week: int = Field(ge=1, le=10)
    cost: Cost | None = Field(default=None, description="null when the cost is not known")
    annual_cost_pence: int | None = Field(
        default=None,
        ge=0,
        description="the cost rule of docs/http-api.md, annualised; null when unknown",
    )
    dual_registered: bool
    reason: ReferralReason = Field(description="the primary reason: the referral's reason")
    funded_by: FundedBy | None = Field(
        default=None, description="who pays; when absent, the commissioner's kind"
    )
    notice_given_on: date | None = Field(
        default=None, description="when the school gave notice of the AP it arranged"
    )
    off_site_direction: bool | None = Field(
        default=None, description="a school-arranged placement made by an off-site direction"
    )


class PlacementEndedV1(PupilEventData):
    placement_id: UUID
    end_date: date
    reason: EndReason


# journey.outcomes ------------------------------------------------------------------------


class Attendance(BaseModel):
    model_config = ConfigDict(frozen=True)
    possible_sessions: int = Field(ge=0)
    attended_sessions: int = Field(ge=0)


class PlacementReviewedV1(PupilEventData):
    review_id: UUID
    placement_id: UUID
    reviewed_on: date
    attendance: Attendance
    progress: Progress
    outcome: ReviewOutcome
    next_review_on: date | None = None


class PupilReintegratedV1(PupilEventData):
    reintegration_id: UUID
    placement_id: UUID | None = None
    school_urn: Urn
    reintegrated_on: date
    mode: ReintegrationMode


class SustainmentCheckedV1(PupilEventData):
    reintegration_id: UUID
    checked_on: date
    sustained: bool


class DestinationConfirmedV1(PupilEventData):
    destination_id: UUID
    activity_code: int = Field(ge=100, le=999)
    group: str = Field(description="reporting group of the code set: education_training, neet, ...")
    confirmed_on: date


# journey.providers: quality, capacity and contracts ----------------------------------

Phase = Literal["primary", "secondary", "post_16"]
ProviderCheck = Literal[
    "safeguarding", "health_and_safety", "insurance", "qualifications", "curriculum", "qa_visit"
]
CheckOutcome = Literal["passed", "failed", "approved", "approved_with_conditions", "not_approved"]


class ProviderInspectedV1(ProviderEventData):
    """The latest published inspection, stored as published: the judgement scale has changed over
    time, so the code (codesets/inspection_judgements.json) and its wording travel with the date."""

    ofsted_urn: Urn | None = None
    inspected_on: date
    published_on: date | None = None
    judgement: Annotated[str, Field(min_length=1, max_length=40)]
    judgement_text: Text


class ProviderCheckRecordedV1(ProviderEventData):
    """An LA due-diligence check or quality-assurance visit and how long it holds."""

    check_id: UUID
    check: ProviderCheck
    checked_on: date
    expires_on: date
    outcome: CheckOutcome
    officer_id: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="the visiting officer's id for a qa_visit (never a name)"
    )


class ProviderApprovalOverriddenV1(ProviderEventData):
    """An LA officer placed a pupil with a provider that was not approved, and said why."""

    placement_id: UUID
    lapsed_checks: list[ProviderCheck]
    reason: Text


class ProviderCapacitySetV1(ProviderEventData):
    """Places offered for a tier and phase from a date on (replaces the earlier figure)."""

    tier: Tier
    phase: Phase
    places: int = Field(ge=0)
    effective_from: date


class ProviderContractAgreedV1(ProviderEventData):
    """A cost per place / session agreed for a tier over a period (both ends inclusive)."""

    contract_id: UUID
    tier: Tier
    starts_on: date
    ends_on: date
    cost: Cost


class ProviderRegistrationChangedV1(ProviderEventData):
    """The provider's registration (with Ofsted / the DfE) changed on `occurred_at`: reports and
    the AP census use the latest. `ofsted_urn` is given when `registered` is true."""

    registered: bool
    ofsted_urn: Urn | None = None


class ProviderCapacityExceededV1(ProviderEventData):
    """A placement made beyond the places offered: allowed, flagged so reporting can count it."""

    placement_id: UUID
    tier: Tier
    phase: Phase | None = None
    places: int = Field(ge=0)
    in_use: int = Field(ge=0, description="open placements including this one")


# registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSpec:
    type: str
    topic: str
    model: builtins.type[EventData]

    @property
    def schema_name(self) -> str:
        return f"{self.type}.json"


SPECS: tuple[EventSpec, ...] = (
    EventSpec("journey.pupil.referred.v1", topics.REFERRALS, PupilReferredV1),
    EventSpec("journey.referral.decided.v1", topics.REFERRALS, ReferralDecidedV1),
    EventSpec("journey.referral.withdrawn.v1", topics.REFERRALS, ReferralWithdrawnV1),
    EventSpec("journey.pupil.identity.recorded.v1", topics.IDENTITY, PupilIdentityRecordedV1),
    EventSpec("journey.provider.registered.v1", topics.PROVIDERS, ProviderRegisteredV1),
    EventSpec("journey.pupil.placed.v1", topics.PLACEMENTS, PupilPlacedV1),
    EventSpec("journey.pupil.placed.v2", topics.PLACEMENTS, PupilPlacedV2),
    EventSpec("journey.placement.ended.v1", topics.PLACEMENTS, PlacementEndedV1),
    EventSpec("journey.placement.reviewed.v1", topics.OUTCOMES, PlacementReviewedV1),
    EventSpec("journey.pupil.reintegrated.v1", topics.OUTCOMES, PupilReintegratedV1),
    EventSpec(
        "journey.reintegration.sustainment_checked.v1", topics.OUTCOMES, SustainmentCheckedV1
    ),
    EventSpec("journey.destination.confirmed.v1", topics.OUTCOMES, DestinationConfirmedV1),
    EventSpec("journey.provider.inspected.v1", topics.PROVIDERS, ProviderInspectedV1),
    EventSpec("journey.provider.check_recorded.v1", topics.PROVIDERS, ProviderCheckRecordedV1),
    EventSpec(
        "journey.provider.approval_overridden.v1", topics.PROVIDERS, ProviderApprovalOverriddenV1
    ),
    EventSpec("journey.provider.capacity_set.v1", topics.PROVIDERS, ProviderCapacitySetV1),
    EventSpec("journey.provider.contract_agreed.v1", topics.PROVIDERS, ProviderContractAgreedV1),
    EventSpec(
        "journey.provider.capacity_exceeded.v1", topics.PROVIDERS, ProviderCapacityExceededV1
    ),
    EventSpec(
        "journey.provider.registration_changed.v1",
        topics.PROVIDERS,
        ProviderRegistrationChangedV1,
    ),
)
BY_TYPE: dict[str, EventSpec] = {s.type: s for s in SPECS}
BY_MODEL: dict[type[EventData], EventSpec] = {s.model: s for s in SPECS}
