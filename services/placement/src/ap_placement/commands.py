"""What the placement service can be asked to do, typed: one frozen command per write.

Routes (and the bulk import) build these from a request body plus its path ids; handlers and the
domain take nothing else. Fields use the schema package's types, so a command holds only values
the contract allows.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from ap_schemas.codes import EndReason, FundedBy, SettingType, Tier
from ap_schemas.events import CheckOutcome, Commissioner, Cost, Phase, ProviderCheck

ApprovalMode = Literal["warn", "enforce"]


@dataclass(frozen=True)
class RegisterProvider:
    name: str
    urn: str | None
    ukprn: str | None
    setting_type: SettingType | None
    registered: bool
    state_ap: bool = False


@dataclass(frozen=True)
class PlacePupil:
    referral_id: UUID
    provider_id: UUID
    commissioner: Commissioner
    tier: Tier
    start_date: date
    planned_end_date: date | None
    sessions_per_week: int
    cost: Cost | None  # None: the provider's contract for the tier, else not known (placed.v2)
    dual_registered: bool
    funded_by: FundedBy | None = None
    phase: Phase | None = None
    override_reason: str | None = None
    notice_given_on: date | None = None
    off_site_direction: bool | None = None
    approval_mode: ApprovalMode = "warn"  # the service's PROVIDER_APPROVAL setting


@dataclass(frozen=True)
class EndPlacement:
    placement_id: UUID
    end_date: date
    reason: EndReason


@dataclass(frozen=True)
class RecordCheck:
    provider_id: UUID
    check: ProviderCheck
    checked_on: date
    expires_on: date
    outcome: CheckOutcome
    officer_id: str | None = None


@dataclass(frozen=True)
class RecordInspection:
    provider_id: UUID
    inspected_on: date
    judgement: str
    ofsted_urn: str | None = None
    published_on: date | None = None


@dataclass(frozen=True)
class SetCapacity:
    provider_id: UUID
    tier: Tier
    phase: Phase
    places: int
    effective_from: date


@dataclass(frozen=True)
class AgreeContract:
    provider_id: UUID
    tier: Tier
    starts_on: date
    ends_on: date
    cost: Cost


@dataclass(frozen=True)
class ChangeRegistration:
    provider_id: UUID
    registered: bool
    changed_on: date
    ofsted_urn: str | None = None


ProviderCommand = RecordCheck | RecordInspection | SetCapacity | AgreeContract | ChangeRegistration
