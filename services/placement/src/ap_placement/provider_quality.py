"""Provider quality, approval, capacity and contracts. Pure: no I/O, no awaits.

Which checks are required, and which outcomes pass, is local policy kept as data
(codesets/provider_approval.json) so an authority can correct it without a release.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal
from uuid import UUID

from ap_chassis.errors import DomainError, InvalidCommandError
from ap_schemas.events import (
    EventData,
    ProviderCapacitySetV1,
    ProviderCheckRecordedV1,
    ProviderContractAgreedV1,
    ProviderInspectedV1,
)

from .commands import AgreeContract, ApprovalMode, RecordCheck, RecordInspection, SetCapacity

CheckStatus = Literal["current", "expired", "failed", "missing"]


@cache
def policy() -> dict[str, Any]:
    """The LA's provider approval policy, as the data file says it."""
    text = resources.files(__package__).joinpath("codesets", "provider_approval.json").read_text()
    return dict(json.loads(text))


def required_checks() -> tuple[str, ...]:
    """The checks a provider needs current to be approved."""
    return tuple(policy()["required_checks"])


@dataclass(frozen=True)
class CheckRecord:
    """One recorded check; `seq` orders two checks of one kind recorded on the same date."""

    check: str
    checked_on: date
    expires_on: date
    outcome: str
    seq: int = 0
    check_id: UUID | None = None
    officer_id: str | None = None


@dataclass(frozen=True)
class Query:
    """Something an officer should look at on a check that still counts: not an error."""

    check: str
    field: str
    message: str


@dataclass(frozen=True)
class Approval:
    approved: bool
    lapsed_checks: tuple[str, ...]
    checks: dict[str, CheckStatus] = field(default_factory=dict)
    queries: tuple[Query, ...] = ()


def validate_check(
    *, check: str, checked_on: date, expires_on: date, outcome: str, officer_id: str | None
) -> None:
    """An expiry before the check date or a QA-visit outcome on another check is refused,
    naming its field. A QA visit without its officer id is recorded (the published contract
    never required the id): the provider's status raises it as a query (`queries`)."""
    if expires_on < checked_on:
        raise InvalidCommandError("expires_on cannot be before checked_on", field="expires_on")
    if check != "qa_visit" and outcome in policy()["qa_visit_only_outcomes"]:
        raise InvalidCommandError(
            f"outcome {outcome} is for a qa_visit; other checks are passed or failed",
            field="outcome",
        )


def check_queries(latest: dict[str, CheckRecord]) -> tuple[Query, ...]:
    """Queries on the checks that decide the status: a QA visit with no officer id recorded."""
    visit = latest.get("qa_visit")
    if visit is None or visit.officer_id:
        return ()
    message = (
        f"the qa_visit of {visit.checked_on.isoformat()} names no visiting officer:"
        " record officer_id with the next visit"
    )
    return (Query("qa_visit", "officer_id", message),)


def _latest(records: Iterable[CheckRecord], on: date) -> CheckRecord | None:
    made = [r for r in records if r.checked_on <= on]
    return max(made, key=lambda r: (r.checked_on, r.seq)) if made else None


def check_status(records: Iterable[CheckRecord], on: date) -> CheckStatus:
    """The latest check made on or before `on` decides: failed, expired, or current."""
    latest = _latest(records, on)
    if latest is None:
        return "missing"
    if latest.outcome not in policy()["passing_outcomes"]:
        return "failed"
    if latest.expires_on < on:
        return "expired"
    return "current"


def approval(records: Iterable[CheckRecord], on: date) -> Approval:
    """Approved only when every required check is current on `on`."""
    by_check: dict[str, list[CheckRecord]] = {}
    for record in records:
        by_check.setdefault(record.check, []).append(record)
    statuses = {name: check_status(by_check.get(name, []), on) for name in required_checks()}
    lapsed = tuple(name for name, status in statuses.items() if status != "current")
    latest = {name: r for name, rs in by_check.items() if (r := _latest(rs, on)) is not None}
    return Approval(
        approved=not lapsed, lapsed_checks=lapsed, checks=statuses, queries=check_queries(latest)
    )


def vet_approval(
    state: Approval,
    *,
    provider_id: UUID,
    mode: ApprovalMode,
    override_reason: str | None,
) -> tuple[list[str], bool]:
    """Whether a placement with this provider may go ahead: (warnings, overridden).

    `enforce` refuses an unapproved provider (409 naming the lapsed checks) unless an override
    reason is given (who may give one is access.py's `override_approval`); `warn` lets it through
    with a warning.
    """
    if state.approved:
        return [], False
    lapsed = ", ".join(state.lapsed_checks)
    warning = f"provider {provider_id} is not approved: lapsed checks: {lapsed}"
    if override_reason:
        return [warning + " (overridden)"], True
    if mode == "enforce":
        raise DomainError(warning, field="provider_id")
    return [warning], False


# capacity and contracts ------------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    tier: int
    phase: str
    places: int
    effective_from: date


def places_offered(
    capacity: Iterable[Capacity], *, tier: int, phase: str | None, on: date
) -> int | None:
    """Places for the tier (and phase, when known; all phases otherwise) in force on `on`, or
    None when the provider has stated no capacity for it."""
    latest: dict[str, Capacity] = {}
    for c in capacity:
        if c.tier != tier or c.effective_from > on or (phase is not None and c.phase != phase):
            continue
        if c.phase not in latest or latest[c.phase].effective_from < c.effective_from:
            latest[c.phase] = c
    return sum(c.places for c in latest.values()) if latest else None


def capacity_warning(*, places: int | None, in_use: int) -> str | None:
    """A placement beyond the places offered is allowed, but flagged. `in_use` counts it too."""
    if places is None or in_use <= places:
        return None
    return f"beyond capacity: {in_use} placements for {places} places offered"


@dataclass(frozen=True)
class Contract:
    contract_id: UUID
    tier: int
    starts_on: date
    ends_on: date
    amount_pence: int
    per: str


def check_contract(
    *, tier: int, starts_on: date, ends_on: date, existing: Iterable[Contract]
) -> None:
    """A contract period runs forwards and overlaps no other for the same provider and tier."""
    if ends_on < starts_on:
        raise InvalidCommandError("ends_on cannot be before starts_on", field="ends_on")
    for other in existing:
        if other.tier == tier and starts_on <= other.ends_on and other.starts_on <= ends_on:
            raise InvalidCommandError(
                f"overlaps contract {other.contract_id} for tier {tier} "
                f"({other.starts_on} to {other.ends_on})",
                field="starts_on",
            )


def contracted_cost(contracts: Iterable[Contract], *, tier: int, on: date) -> Contract | None:
    """The contract for the tier in force on `on` (periods never overlap, so at most one)."""
    return next((c for c in contracts if c.tier == tier and c.starts_on <= on <= c.ends_on), None)


@dataclass(frozen=True)
class Inspection:
    """The latest published inspection of an inspection date (a later record replaces it)."""

    ofsted_urn: str | None
    inspected_on: date
    published_on: date | None
    judgement: str
    judgement_text: str


def validate_judgement(code: str, codes: dict[str, str]) -> str:
    """The wording of a judgement code of the code set; unknown codes name the field."""
    if code not in codes:
        raise InvalidCommandError(
            f"unknown judgement code {code!r}; known: {', '.join(sorted(codes))}",
            field="judgement",
        )
    return codes[code]


# decisions on one provider's quality record ----------------------------------------------


def record_check(
    checks: Sequence[CheckRecord], cmd: RecordCheck, *, check_id: UUID, today: date
) -> tuple[CheckRecord, list[EventData], Approval]:
    """The check recorded (after every check held), its event, and the approval today."""
    validate_check(
        check=cmd.check, checked_on=cmd.checked_on, expires_on=cmd.expires_on,
        outcome=cmd.outcome, officer_id=cmd.officer_id,
    )  # fmt: skip
    record = CheckRecord(
        cmd.check, cmd.checked_on, cmd.expires_on, cmd.outcome,
        seq=1 + max((c.seq for c in checks), default=0), check_id=check_id,
        officer_id=cmd.officer_id,
    )  # fmt: skip
    event = ProviderCheckRecordedV1(
        occurred_at=cmd.checked_on, provider_id=cmd.provider_id, check_id=check_id,
        check=cmd.check, checked_on=cmd.checked_on, expires_on=cmd.expires_on,
        outcome=cmd.outcome, officer_id=cmd.officer_id,
    )  # fmt: skip
    return record, [event], approval([*checks, record], today)


def inspect(cmd: RecordInspection, codes: dict[str, str]) -> tuple[Inspection, list[EventData]]:
    """An inspection with its judgement's wording from the code set."""
    text = validate_judgement(cmd.judgement, codes)
    if cmd.published_on is not None and cmd.published_on < cmd.inspected_on:
        raise InvalidCommandError(
            "published_on cannot be before inspected_on", field="published_on"
        )
    inspection = Inspection(
        ofsted_urn=cmd.ofsted_urn, inspected_on=cmd.inspected_on,
        published_on=cmd.published_on, judgement=cmd.judgement, judgement_text=text,
    )  # fmt: skip
    event = ProviderInspectedV1(
        occurred_at=cmd.inspected_on, provider_id=cmd.provider_id, ofsted_urn=cmd.ofsted_urn,
        inspected_on=cmd.inspected_on, published_on=cmd.published_on, judgement=cmd.judgement,
        judgement_text=text,
    )  # fmt: skip
    return inspection, [event]


def set_capacity(cmd: SetCapacity) -> tuple[Capacity, list[EventData]]:
    """The capacity in force from its date, and its event."""
    capacity = Capacity(
        tier=cmd.tier, phase=cmd.phase, places=cmd.places, effective_from=cmd.effective_from
    )
    event = ProviderCapacitySetV1(
        occurred_at=cmd.effective_from, provider_id=cmd.provider_id, tier=cmd.tier,
        phase=cmd.phase, places=cmd.places, effective_from=cmd.effective_from,
    )  # fmt: skip
    return capacity, [event]


def agree_contract(
    existing: Iterable[Contract], cmd: AgreeContract, *, contract_id: UUID
) -> tuple[Contract, list[EventData]]:
    """A new contract and its event; 422 when it overlaps another for the tier."""
    check_contract(tier=cmd.tier, starts_on=cmd.starts_on, ends_on=cmd.ends_on, existing=existing)
    contract = Contract(
        contract_id=contract_id, tier=cmd.tier, starts_on=cmd.starts_on, ends_on=cmd.ends_on,
        amount_pence=cmd.cost.amount_pence, per=cmd.cost.per,
    )  # fmt: skip
    event = ProviderContractAgreedV1(
        occurred_at=cmd.starts_on, provider_id=cmd.provider_id, contract_id=contract_id,
        tier=cmd.tier, starts_on=cmd.starts_on, ends_on=cmd.ends_on, cost=cmd.cost,
    )  # fmt: skip
    return contract, [event]
