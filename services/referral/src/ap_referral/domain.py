"""Referral rules and state transitions. Pure: no I/O, no awaits.

Each command's function both changes the state and builds the events it publishes, so the two
cannot disagree and an event's fields are spelled once, here.
"""

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, Literal
from uuid import UUID

from ap_chassis.errors import DomainError, InvalidCommandError
from ap_schemas.calendar import SchoolCalendar, default_calendar
from ap_schemas.codes import Decision, Route
from ap_schemas.events import (
    EventData,
    PupilIdentityRecordedV1,
    PupilReferredV1,
    ReferralDecidedV1,
    ReferralWithdrawnV1,
)
from pydantic_core import to_jsonable_python

from .commands import DecideReferral, Identity, ReferPupil, WithdrawReferral

Status = Literal["received", "accepted", "declined", "withdrawn"]
SIXTH_DAY = 6
IDENTITY_FIELDS = tuple(f.name for f in fields(Identity))
AUTO_APPLIED_BY = "rule:auto-apply"


@dataclass(frozen=True)
class Pupil:
    """A register row: the pseudonymous id, the UPN and the identifying details by field."""

    pupil_id: UUID
    upn: str | None
    identity: dict[str, Any]


@dataclass(frozen=True)
class IdentityChange:
    """A later referral's different details for a known pupil: old and new values, as JSON."""

    change_id: UUID
    pupil_id: UUID
    referral_id: UUID | None
    proposed_by: str
    old: dict[str, Any]
    new: dict[str, Any]
    status: Literal["proposed", "applied"] = "proposed"
    applied_by: str | None = None


@dataclass(frozen=True)
class Referral:
    referral_id: UUID
    pupil_id: UUID
    status: Status
    referrer_kind: str
    referrer_urn: str | None
    reason: str
    tier_requested: int
    referred_on: date
    excluded_on: date | None
    sen_provision: str
    home_school_urn: str | None
    decision: Decision | None = None
    decided_on: date | None = None
    decision_reason: str | None = None
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    route: Route = "la_arranged"


@dataclass(frozen=True)
class Referred:
    """What a referral decided: the register row after it, the referral, any identity change."""

    pupil: Pupil
    referral: Referral
    change: IdentityChange | None
    events: list[EventData] = field(default_factory=list)

    @property
    def identity_applied(self) -> bool:
        """Whether the referral's identity change was applied to the register."""
        return self.change is not None and self.change.status == "applied"


def check_new_referral(command: ReferPupil) -> None:
    """Rules across the fields of a new referral; each names the field at fault."""
    if command.reason == "permanent_exclusion" and command.excluded_on is None:
        raise InvalidCommandError(
            "excluded_on is required for a permanent exclusion (it starts the sixth-day clock)",
            field="excluded_on",
        )
    if command.excluded_on is not None and command.excluded_on > command.referred_on:
        raise InvalidCommandError("excluded_on cannot be after referred_on", field="excluded_on")
    if command.reason == "ehc_plan_named" and command.identity.sen_provision != "E":
        raise InvalidCommandError(
            "a setting named on an EHC plan needs SEN provision E", field="sen_provision"
        )
    if command.route == "school_arranged":
        check_school_arranged(command)


def check_school_arranged(command: ReferPupil) -> None:
    """School-arranged AP is arranged by a school for a pupil on its own roll: the referrer is
    that school, and the home school (when given) is the same one."""
    if command.referrer.kind != "school":
        raise InvalidCommandError(
            "school_arranged AP is arranged by a school: referrer.kind must be school",
            field="referrer.kind",
        )
    if command.home_school_urn not in (None, command.referrer.urn):
        raise InvalidCommandError(
            "school_arranged AP is for a pupil on the arranging school's roll:"
            " home_school_urn must be the referrer's urn",
            field="home_school_urn",
        )


def sixth_school_day(excluded_on: date, calendar: SchoolCalendar | None = None) -> date:
    """The day full-time education must start: the 6th school day after the exclusion.

    School days come from the shared calendar: the LA's term dates and bank holidays.
    """
    return (calendar or default_calendar()).add_school_days(excluded_on, SIXTH_DAY)


def identity_recorded(pupil: Pupil, occurred_at: date) -> PupilIdentityRecordedV1:
    """The register row as `journey.identity` carries it."""
    return PupilIdentityRecordedV1(
        occurred_at=occurred_at, pupil_id=pupil.pupil_id, upn=pupil.upn, **pupil.identity
    )


def refer(
    known: Pupil | None,
    command: ReferPupil,
    *,
    pupil_id: UUID,
    referral_id: UUID,
    change_id: UUID,
    proposed_by: str,
    today: date,
) -> Referred:
    """Refer a pupil. A UPN first seen registers the pupil (`pupil_id`) and publishes its
    identity; a known UPN keeps its identity: differences become a proposed change (`change_id`),
    applied at once only when every changed field is one the LA lets apply without review
    (`command.auto_apply`): a referral never silently overwrites the register.

    A school-arranged referral is decided by the arranging school as it is made: accepted at
    once, with a decision event naming that school, so the placement can follow without the LA.
    """
    check_new_referral(command)
    pupil = known or Pupil(pupil_id, command.upn, command.identity.values())
    home_school_urn = command.home_school_urn
    if command.route == "school_arranged":
        home_school_urn = command.referrer.urn
    referral = Referral(
        referral_id=referral_id,
        pupil_id=pupil.pupil_id,
        status="received",
        referrer_kind=command.referrer.kind,
        referrer_urn=command.referrer.urn,
        reason=command.reason,
        tier_requested=command.tier_requested,
        referred_on=command.referred_on,
        excluded_on=command.excluded_on,
        sen_provision=command.identity.sen_provision,
        home_school_urn=home_school_urn,
        route=command.route,
    )
    events: list[EventData] = [
        PupilReferredV1(
            occurred_at=command.referred_on,
            pupil_id=pupil.pupil_id,
            referral_id=referral_id,
            referred_on=command.referred_on,
            referrer=command.referrer,
            reason=command.reason,
            tier_requested=command.tier_requested,
            excluded_on=command.excluded_on,
            sen_provision=command.identity.sen_provision,
            home_school_urn=home_school_urn,
            route=None if command.route == "la_arranged" else command.route,
        )
    ]
    if command.route == "school_arranged":
        referral, decided = arranged_by_school(referral)
        events.extend(decided)
    if known is None:
        events.append(identity_recorded(pupil, command.referred_on))
        return Referred(pupil, referral, None, events)
    old, new = identity_difference(known.identity, command.identity.values())
    if not new:
        return Referred(pupil, referral, None, events)
    change = IdentityChange(change_id, pupil.pupil_id, referral_id, proposed_by, old, new)
    if set(new) <= command.auto_apply:
        pupil, change, recorded = apply_change(
            pupil, change, applied_by=AUTO_APPLIED_BY, today=today
        )
        events.append(recorded)
    return Referred(pupil, referral, change, events)


def arranged_by_school(referral: Referral) -> tuple[Referral, list[EventData]]:
    """The arranging school's own decision: accepted on the day it was made, by that school."""
    accepted = replace(
        referral, status="accepted", decision="accepted", decided_on=referral.referred_on
    )
    event = ReferralDecidedV1(
        occurred_at=referral.referred_on,
        pupil_id=referral.pupil_id,
        referral_id=referral.referral_id,
        decision="accepted",
        decided_on=referral.referred_on,
        decided_by_urn=referral.referrer_urn,
    )
    return accepted, [event]


def _not_before_referral(referral: Referral, day: date, field: str) -> None:
    if day < referral.referred_on:
        raise InvalidCommandError(f"{field} cannot be before referred_on", field=field)


def decide(referral: Referral, command: DecideReferral) -> tuple[Referral, list[EventData]]:
    """Accept or decline a received referral; the decision is the referral's new status."""
    if referral.status != "received":
        raise DomainError(f"the referral was already {referral.status}")
    _not_before_referral(referral, command.decided_on, "decided_on")
    decided = replace(
        referral,
        status=command.decision,
        decision=command.decision,
        decided_on=command.decided_on,
        decision_reason=command.reason,
    )
    event = ReferralDecidedV1(
        occurred_at=command.decided_on,
        pupil_id=referral.pupil_id,
        referral_id=referral.referral_id,
        decision=command.decision,
        decided_on=command.decided_on,
        reason=command.reason,
    )
    return decided, [event]


def withdraw(referral: Referral, command: WithdrawReferral) -> tuple[Referral, list[EventData]]:
    """The withdrawn referral and its event; 409 unless it was received or accepted."""
    if referral.status not in ("received", "accepted"):
        raise DomainError(f"a {referral.status} referral cannot be withdrawn")
    _not_before_referral(referral, command.withdrawn_on, "withdrawn_on")
    withdrawn = replace(
        referral,
        status="withdrawn",
        withdrawn_on=command.withdrawn_on,
        withdrawal_reason=command.reason,
    )
    event = ReferralWithdrawnV1(
        occurred_at=command.withdrawn_on,
        pupil_id=referral.pupil_id,
        referral_id=referral.referral_id,
        withdrawn_on=command.withdrawn_on,
        reason=command.reason,
    )
    return withdrawn, [event]


def _plain(value: object) -> object:
    """A value as JSON would carry it (dates as ISO text, nested lists and objects too)."""
    return to_jsonable_python(value)


def identity_difference(
    current: dict[str, object], proposed: dict[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """The fields a later referral would change in the register: (old values, new values).

    A known pupil's identity is never overwritten by a referral (last writer would win): the
    difference becomes a proposed change that an LA officer applies. Values are JSON-ready and
    compared as such, so a register row and a request compare equal when they say the same.
    """
    changed = [k for k in proposed if k in current and _plain(current[k]) != _plain(proposed[k])]
    return {k: _plain(current[k]) for k in changed}, {k: _plain(proposed[k]) for k in changed}


def check_identity_change_applicable(
    *, status: str, old: dict[str, object], current: dict[str, object]
) -> None:
    """A change applies once, and only to the register it was proposed against."""
    if status != "proposed":
        raise DomainError(f"this identity change was already {status}")
    if any(_plain(current.get(k)) != v for k, v in old.items()):
        raise DomainError("the register changed since this change was proposed; propose it again")


def apply_change(
    pupil: Pupil, change: IdentityChange, *, applied_by: str, today: date
) -> tuple[Pupil, IdentityChange, PupilIdentityRecordedV1]:
    """Apply a proposed change to the register row: the row, the change as applied, and the
    pupil's identity to publish again. The change's JSON dates become dates where the register
    holds dates."""
    check_identity_change_applicable(status=change.status, old=change.old, current=pupil.identity)
    new = {
        k: date.fromisoformat(v) if isinstance(pupil.identity.get(k), date) and v else v
        for k, v in change.new.items()
    }
    applied = replace(pupil, identity=pupil.identity | new)
    return (
        applied,
        replace(change, status="applied", applied_by=applied_by),
        identity_recorded(applied, today),
    )


# Register values that identify a pupil: stored answers mentioning any of them are forgotten on
# erasure (with the pupil_id).
IDENTIFYING = ("upn", "forename", "surname", "middle_names", "preferred_surname", "date_of_birth",
               "postcode")  # fmt: skip


def identifying_values(held: dict[str, Any]) -> list[str]:
    """The identifying values of an erased register row, as text worth searching for."""
    values = [held.get(k) for k in IDENTIFYING]
    return [str(v) for v in values if v is not None and len(str(v)) >= 3]
