"""What the referral service's write commands ask for, typed with the schema package's field types.

A route builds one of these from the request (path ids included); handlers and the domain take
nothing else. Identifying details travel as `Identity`, the register's columns.
"""

from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Literal
from uuid import UUID

from ap_schemas.codes import (
    Decision,
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
from ap_schemas.events import FsmPeriod, Referrer


@dataclass(frozen=True, kw_only=True)
class Identity:
    """A pupil's identifying details as a referral gives them: the register's columns."""

    forename: str
    surname: str
    middle_names: str | None = None
    preferred_surname: str | None = None
    date_of_birth: date
    sex: Sex
    ethnicity: Ethnicity | None = None
    fsm_eligible: bool | None = None
    postcode: str | None = None
    sen_provision: SenProvision
    uln: Uln | None = None
    address_lines: list[str] | None = None
    uprn: Uprn | None = None
    service_child: bool | None = None
    fsm_periods: list[FsmPeriod] | None = None

    def values(self) -> dict[str, Any]:
        """Field -> value, as the register and `journey.identity` name them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, kw_only=True)
class ReferPupil:
    """Refer a pupil; the referral's SEN provision is the one given for the pupil."""

    upn: str
    identity: Identity
    referrer: Referrer
    reason: ReferralReason
    tier_requested: Tier
    referred_on: date
    excluded_on: date | None = None
    home_school_urn: Urn | None = None
    route: Route = "la_arranged"
    # The LA's rule: register fields a later referral may change without review.
    auto_apply: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DecideReferral:
    referral_id: UUID
    decision: Decision
    decided_on: date
    reason: str | None = None


@dataclass(frozen=True)
class WithdrawReferral:
    referral_id: UUID
    withdrawn_on: date
    reason: str


@dataclass(frozen=True)
class ApplyIdentityChange:
    pupil_id: UUID
    change_id: UUID


@dataclass(frozen=True)
class ErasePupil:
    """Erase a pupil's identifying details: an LA officer's request or the retention job."""

    pupil_id: UUID
    basis: Literal["request", "retention"]
    requested_by: str
    role: str
    reason: str
