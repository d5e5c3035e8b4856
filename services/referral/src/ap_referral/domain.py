"""Referral rules and state transitions. Pure: no I/O, no awaits."""

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal
from uuid import UUID

from ap_chassis.errors import DomainError, InvalidCommandError
from ap_schemas.calendar import SchoolCalendar, default_calendar
from pydantic_core import to_jsonable_python

Status = Literal["received", "accepted", "declined", "withdrawn"]
SIXTH_DAY = 6


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
    decision: str | None = None
    decided_on: date | None = None
    decision_reason: str | None = None
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None


def check_new_referral(
    *, reason: str, referred_on: date, excluded_on: date | None, sen_provision: str
) -> None:
    """Rules across the fields of a new referral; each names the field at fault."""
    if reason == "permanent_exclusion" and excluded_on is None:
        raise InvalidCommandError(
            "excluded_on is required for a permanent exclusion (it starts the sixth-day clock)",
            field="excluded_on",
        )
    if excluded_on is not None and excluded_on > referred_on:
        raise InvalidCommandError("excluded_on cannot be after referred_on", field="excluded_on")
    if reason == "ehc_plan_named" and sen_provision != "E":
        raise InvalidCommandError(
            "a setting named on an EHC plan needs SEN provision E", field="sen_provision"
        )


def sixth_school_day(excluded_on: date, calendar: SchoolCalendar | None = None) -> date:
    """The day full-time education must start: the 6th school day after the exclusion.

    School days come from the shared calendar: the LA's term dates and bank holidays.
    """
    return (calendar or default_calendar()).add_school_days(excluded_on, SIXTH_DAY)


def decide(referral: Referral, *, decision: str, decided_on: date, reason: str | None) -> Referral:
    if referral.status != "received":
        raise DomainError(f"the referral was already {referral.status}")
    if decided_on < referral.referred_on:
        raise InvalidCommandError("decided_on cannot be before referred_on", field="decided_on")
    return replace(
        referral,
        status="accepted" if decision == "accepted" else "declined",
        decision=decision,
        decided_on=decided_on,
        decision_reason=reason,
    )


def withdraw(referral: Referral, *, withdrawn_on: date, reason: str) -> Referral:
    if referral.status not in ("received", "accepted"):
        raise DomainError(f"a {referral.status} referral cannot be withdrawn")
    if withdrawn_on < referral.referred_on:
        raise InvalidCommandError("withdrawn_on cannot be before referred_on", field="withdrawn_on")
    return replace(
        referral, status="withdrawn", withdrawn_on=withdrawn_on, withdrawal_reason=reason
    )


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
