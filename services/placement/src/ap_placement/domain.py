"""Placement rules, the cost rule and state transitions. Pure: no I/O, no awaits.

Each command's decision is one function `(state, command) -> (new state, [event data])`: the
events' fields are spelled here only, and the state saved is the state the events describe.
"""

from dataclasses import dataclass, replace
from datetime import date
from typing import cast
from uuid import UUID

from ap_chassis.errors import DomainError, InvalidCommandError, NotFoundError, NotYetKnownError
from ap_schemas.calendar import notice_late
from ap_schemas.codes import FundedBy, ReferralReason, SettingType, Tier
from ap_schemas.events import (
    Commissioner,
    Cost,
    EventData,
    Phase,
    PlacementEndedV1,
    ProviderApprovalOverriddenV1,
    ProviderCapacityExceededV1,
    ProviderRegisteredV1,
    ProviderRegistrationChangedV1,
    PupilPlacedV1,
    PupilPlacedV2,
)

from . import provider_quality as quality
from .commands import ChangeRegistration, EndPlacement, PlacePupil, RegisterProvider

WEEKS_PER_YEAR = 39  # school weeks (docs/http-api.md#the-cost-rule)
TERMS_PER_YEAR = 3


def annual_cost_pence(*, amount_pence: int, per: str, sessions_per_week: int) -> int:
    """The annual cost (docs/http-api.md#the-cost-rule): per session x sessions x 39; per week
    x 39; per term x 3; per year as is."""
    if per == "session":
        return amount_pence * sessions_per_week * WEEKS_PER_YEAR
    if per == "week":
        return amount_pence * WEEKS_PER_YEAR
    if per == "term":
        return amount_pence * TERMS_PER_YEAR
    if per == "year":
        return amount_pence
    raise ValueError(f"unknown cost period {per!r}")


@dataclass(frozen=True)
class Provider:
    provider_id: UUID
    name: str
    urn: str | None
    ukprn: str | None
    setting_type: SettingType | None
    registered: bool
    state_ap: bool = False
    registration_changed_on: date | None = None  # the latest change applied (by its date)


def known(provider: Provider | None, provider_id: UUID) -> Provider:
    """The provider, or 404 on `provider_id` when there is none."""
    if provider is None:
        raise NotFoundError(f"no provider {provider_id}", field="provider_id")
    return provider


def register(
    cmd: RegisterProvider, *, provider_id: UUID, today: date
) -> tuple[Provider, list[EventData]]:
    """A new provider and its registration event, once its identifiers are checked."""
    check_provider(urn=cmd.urn, ukprn=cmd.ukprn, setting_type=cmd.setting_type)
    provider = Provider(
        provider_id=provider_id, name=cmd.name, urn=cmd.urn, ukprn=cmd.ukprn,
        setting_type=cmd.setting_type, registered=cmd.registered, state_ap=cmd.state_ap,
    )  # fmt: skip
    event = ProviderRegisteredV1(
        occurred_at=today, provider_id=provider_id, name=cmd.name, urn=cmd.urn, ukprn=cmd.ukprn,
        setting_type=cmd.setting_type, registered=cmd.registered, state_ap=cmd.state_ap,
    )  # fmt: skip
    return provider, [event]


def change_registration(
    provider: Provider, cmd: ChangeRegistration
) -> tuple[Provider, list[EventData]]:
    """The registration as of the latest change (by changed_on): a URN given replaces the one
    held, none keeps it; an earlier-dated change is recorded but leaves the state as it is."""
    if cmd.registered and cmd.ofsted_urn is None:
        raise InvalidCommandError(
            "ofsted_urn (6 digits) is required when registered is true", field="ofsted_urn"
        )
    latest = provider.registration_changed_on
    if latest is None or latest <= cmd.changed_on:
        provider = replace(
            provider, registered=cmd.registered, urn=cmd.ofsted_urn or provider.urn,
            registration_changed_on=cmd.changed_on,
        )  # fmt: skip
    event = ProviderRegistrationChangedV1(
        occurred_at=cmd.changed_on, provider_id=provider.provider_id,
        registered=cmd.registered, ofsted_urn=cmd.ofsted_urn,
    )  # fmt: skip
    return provider, [event]


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
    route: str = "la_arranged"  # or school_arranged: the referring school arranged it

    @property
    def school_arranged(self) -> bool:
        return self.route == "school_arranged"


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
    referral_id: UUID
    provider_id: UUID
    commissioner: Commissioner
    tier: Tier
    start_date: date
    planned_end_date: date | None
    sessions_per_week: int
    cost: Cost | None
    annual_cost_pence: int | None
    dual_registered: bool
    reason: ReferralReason
    phase: Phase | None = None
    funded_by: FundedBy | None = None
    end_date: date | None = None
    end_reason: str | None = None
    notice_given_on: date | None = None
    off_site_direction: bool | None = None

    @property
    def is_open(self) -> bool:
        """Whether the placement has not ended."""
        return self.end_date is None


def check_new_placement(
    *,
    open_placement: Placement | None,
    start_date: date,
    planned_end_date: date | None,
    may_see_open: bool = False,
) -> None:
    """One open placement per pupil. The 409 names the open one to a caller who may read it;
    to any other it says only that another commissioner holds it (docs/http-api.md, 409)."""
    if open_placement is not None:
        if may_see_open:
            raise DomainError(
                f"the pupil already has an open placement {open_placement.placement_id}"
                f" (from {open_placement.start_date.isoformat()}): end it first"
            )
        raise DomainError("the pupil already has an open placement, with another commissioner")
    if planned_end_date is not None and planned_end_date < start_date:
        raise InvalidCommandError(
            "planned_end_date cannot be before start_date", field="planned_end_date"
        )


@dataclass(frozen=True)
class Placing:
    """What placing a pupil is decided on (the pupil locked when its referral is known)."""

    referral: ReferralFact | None
    provider: Provider | None
    open_placement: Placement | None
    checks: tuple[quality.CheckRecord, ...] = ()
    capacity: tuple[quality.Capacity, ...] = ()
    contracts: tuple[quality.Contract, ...] = ()
    in_use: int = 0  # placements running with the provider for the tier (and phase) on start
    may_see_open: bool = False  # the caller may read the open placement (the 409 names it)


@dataclass(frozen=True)
class Placed:
    placement: Placement
    events: list[EventData]
    warnings: list[str]


def place(facts: Placing, cmd: PlacePupil, *, placement_id: UUID) -> Placed:
    """The placement, its placed event (v1 with a known cost, v2 without) and what vetting the
    provider brought up: an approval override and a capacity exceeded, each an event too."""
    referral = check_referral_placeable(facts.referral, cmd.referral_id)
    known(facts.provider, cmd.provider_id)
    check_new_placement(
        open_placement=facts.open_placement,
        start_date=cmd.start_date,
        planned_end_date=cmd.planned_end_date,
        may_see_open=facts.may_see_open,
    )
    cost = cmd.cost or contracted_cost(facts.contracts, cmd)
    annual = None if cost is None else annual_cost_pence(
        amount_pence=cost.amount_pence, per=cost.per, sessions_per_week=cmd.sessions_per_week
    )  # fmt: skip
    placement = Placement(
        placement_id=placement_id, pupil_id=referral.pupil_id,
        referral_id=cmd.referral_id, provider_id=cmd.provider_id, commissioner=cmd.commissioner,
        tier=cmd.tier, start_date=cmd.start_date, planned_end_date=cmd.planned_end_date,
        sessions_per_week=cmd.sessions_per_week, cost=cost, annual_cost_pence=annual,
        dual_registered=cmd.dual_registered,
        reason=cast(ReferralReason, referral.reason or "other"), phase=cmd.phase,
        funded_by=cmd.funded_by or cmd.commissioner.kind,  # who pays: the commissioner by default
        notice_given_on=cmd.notice_given_on, off_site_direction=cmd.off_site_direction,
    )  # fmt: skip
    # A known cost keeps v1 for its readers; an unknown one needs v2 (see PupilPlacedV2).
    placed: type[PupilPlacedV1 | PupilPlacedV2] = PupilPlacedV1 if cost else PupilPlacedV2
    events: list[EventData] = [placed(
        occurred_at=cmd.start_date, pupil_id=placement.pupil_id, placement_id=placement_id,
        referral_id=cmd.referral_id, provider_id=cmd.provider_id, commissioner=cmd.commissioner,
        tier=cmd.tier, start_date=cmd.start_date, planned_end_date=cmd.planned_end_date,
        sessions_per_week=cmd.sessions_per_week, cost=cost, annual_cost_pence=annual,
        dual_registered=cmd.dual_registered, reason=placement.reason,
        funded_by=placement.funded_by, notice_given_on=cmd.notice_given_on,
        off_site_direction=cmd.off_site_direction,
    )]  # fmt: skip
    warnings = notice_warnings(cmd)
    state = quality.approval(facts.checks, cmd.start_date)
    vetted, overridden = quality.vet_approval(
        state, provider_id=cmd.provider_id, mode=cmd.approval_mode,
        override_reason=cmd.override_reason,
    )  # fmt: skip
    warnings.extend(vetted)
    if overridden and cmd.override_reason:
        events.append(ProviderApprovalOverriddenV1(
            occurred_at=cmd.start_date, provider_id=cmd.provider_id, placement_id=placement_id,
            lapsed_checks=list(state.lapsed_checks), reason=cmd.override_reason,
        ))  # fmt: skip
    places = quality.places_offered(
        facts.capacity, tier=cmd.tier, phase=cmd.phase, on=cmd.start_date
    )
    in_use = facts.in_use + 1  # this placement counts too
    warning = quality.capacity_warning(places=places, in_use=in_use)
    if warning and places is not None:
        warnings.append(warning)
        events.append(ProviderCapacityExceededV1(
            occurred_at=cmd.start_date, provider_id=cmd.provider_id, placement_id=placement_id,
            tier=cmd.tier, phase=cmd.phase, places=places, in_use=in_use,
        ))  # fmt: skip
    return Placed(placement, events, warnings)


def notice_warnings(cmd: PlacePupil) -> list[str]:
    """Notice given under 2 school days before the start: recorded as given, and warned."""
    if cmd.notice_given_on is None or not notice_late(cmd.notice_given_on, cmd.start_date):
        return []
    return [
        f"notice given late: {cmd.notice_given_on.isoformat()} is less than 2 school days"
        f" before the start on {cmd.start_date.isoformat()} (recorded as given)"
    ]


def contracted_cost(contracts: tuple[quality.Contract, ...], cmd: PlacePupil) -> Cost | None:
    """The contract's cost for the tier on the start date; None (not known) without one."""
    contract = quality.contracted_cost(contracts, tier=cmd.tier, on=cmd.start_date)
    if contract is None:
        return None
    return Cost.model_validate({"amount_pence": contract.amount_pence, "per": contract.per})


def check_end(*, start_date: date, end_date: date) -> None:
    """Refuse an end date before the start (422 on `end_date`)."""
    if end_date < start_date:
        raise InvalidCommandError("end_date cannot be before start_date", field="end_date")


def end(placement: Placement, cmd: EndPlacement) -> tuple[Placement, list[EventData]]:
    """The ended placement and its event; 409 when it has already ended."""
    if not placement.is_open:
        raise DomainError(f"the placement already ended on {placement.end_date}")
    check_end(start_date=placement.start_date, end_date=cmd.end_date)
    event = PlacementEndedV1(
        occurred_at=cmd.end_date, pupil_id=placement.pupil_id,
        placement_id=placement.placement_id, end_date=cmd.end_date, reason=cmd.reason,
    )  # fmt: skip
    return replace(placement, end_date=cmd.end_date, end_reason=cmd.reason), [event]
