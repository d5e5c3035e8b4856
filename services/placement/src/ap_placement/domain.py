"""Placement rules, the cost rule and state transitions. Pure: no I/O, no awaits."""

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from ap_chassis.errors import DomainError, InvalidCommandError, NotYetKnownError

WEEKS_PER_YEAR = 39  # school weeks (api.md cost rule)
TERMS_PER_YEAR = 3


def annual_cost_pence(*, amount_pence: int, per: str, sessions_per_week: int) -> int:
    """api.md: per session x sessions x 39; per week x 39; per term x 3; per year as is."""
    if per == "session":
        return amount_pence * sessions_per_week * WEEKS_PER_YEAR
    if per == "week":
        return amount_pence * WEEKS_PER_YEAR
    if per == "term":
        return amount_pence * TERMS_PER_YEAR
    if per == "year":
        return amount_pence
    raise ValueError(f"unknown cost period {per!r}")


def check_provider(*, urn: str | None, ukprn: str | None, setting_type: str | None) -> None:
    """A provider is identified by a URN, a UKPRN or (only without both) a setting type."""
    if not (urn or ukprn or setting_type):
        raise InvalidCommandError(
            "a provider needs a urn, a ukprn, or a setting_type when it has neither",
            field="setting_type",
        )


@dataclass(frozen=True)
class ReferralFact:
    """What placement knows of a referral, from journey.referrals."""

    referral_id: UUID
    pupil_id: UUID
    status: str
    reason: str | None
    referrer_urn: str | None = None


def check_referral_placeable(referral: ReferralFact | None, referral_id: UUID) -> ReferralFact:
    """The referral must be accepted; one not heard of (or not yet decided) may still arrive."""
    if referral is None:
        raise NotYetKnownError(
            f"referral {referral_id} is not known here yet; retry shortly", field="referral_id"
        )
    if referral.status == "received":
        raise NotYetKnownError(
            f"referral {referral_id} has no decision here yet; retry shortly", field="referral_id"
        )
    if referral.status != "accepted":
        raise DomainError(f"referral {referral_id} is {referral.status}", field="referral_id")
    return referral


@dataclass(frozen=True)
class Placement:
    placement_id: UUID
    pupil_id: UUID
    provider_id: UUID
    commissioner_kind: str
    commissioner_urn: str | None
    start_date: date
    end_date: date | None = None
    end_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.end_date is None


def check_new_placement(
    *, open_placement: Placement | None, start_date: date, planned_end_date: date | None
) -> None:
    if open_placement is not None:
        # Never the placement's id: it may belong to another commissioner (api.md 409).
        raise DomainError("the pupil already has an open placement")
    if planned_end_date is not None and planned_end_date < start_date:
        raise InvalidCommandError(
            "planned_end_date cannot be before start_date", field="planned_end_date"
        )


def end(placement: Placement, *, end_date: date, reason: str) -> Placement:
    if not placement.is_open:
        raise DomainError(f"the placement already ended on {placement.end_date}")
    if end_date < placement.start_date:
        raise InvalidCommandError("end_date cannot be before start_date", field="end_date")
    return replace(placement, end_date=end_date, end_reason=reason)
