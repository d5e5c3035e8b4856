"""Provider quality use cases: load, decide with provider_quality, save with the outbox."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from ap_chassis.auth import Principal
from ap_chassis.errors import InvalidCommandError, NotFoundError
from ap_chassis.http import EventContext, record
from ap_schemas.codes import codeset
from ap_schemas.envelope import utcnow
from ap_schemas.events import (
    Cost,
    EventData,
    ProviderApprovalOverriddenV1,
    ProviderCapacityExceededV1,
    ProviderCapacitySetV1,
    ProviderCheckRecordedV1,
    ProviderContractAgreedV1,
    ProviderInspectedV1,
    ProviderRegistrationChangedV1,
)

from . import provider_quality as quality
from . import provider_repository as repo
from .provider_models import CapacityIn, CheckIn, ContractIn, InspectionIn, RegistrationIn

Answer = tuple[int, dict[str, Any]]


async def _provider(
    conn: asyncpg.Connection, provider_id: UUID, *, for_update: bool = False
) -> dict[str, Any]:
    provider = await repo.get_provider(conn, provider_id, for_update=for_update)
    if provider is None:
        raise NotFoundError(f"no provider {provider_id}", field="provider_id")
    return provider


async def record_check(
    conn: asyncpg.Connection,
    *,
    provider_id: UUID,
    cmd: CheckIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    """Record a due-diligence check or QA visit with its expiry."""
    await _provider(conn, provider_id)
    quality.validate_check(
        check=cmd.check, checked_on=cmd.checked_on, expires_on=cmd.expires_on,
        outcome=cmd.outcome, officer_id=cmd.officer_id,
    )  # fmt: skip
    check_id = uuid4()
    await repo.insert_check(conn, check_id, provider_id, cmd)
    event_ids = await record(
        conn,
        ctx,
        ProviderCheckRecordedV1(
            occurred_at=cmd.checked_on,
            provider_id=provider_id,
            check_id=check_id,
            **cmd.model_dump(),
        ),
    )
    state = quality.approval(await repo.checks(conn, provider_id), utcnow().date())
    return 201, {
        "check_id": str(check_id),
        "provider_id": str(provider_id),
        "approved": state.approved,
        "lapsed_checks": list(state.lapsed_checks),
        "event_ids": event_ids,
    }


async def record_inspection(
    conn: asyncpg.Connection,
    *,
    provider_id: UUID,
    cmd: InspectionIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    """Record the latest published inspection: its date and judgement code (a code set)."""
    await _provider(conn, provider_id)
    text = quality.validate_judgement(cmd.judgement, codeset("inspection_judgements"))
    if cmd.published_on is not None and cmd.published_on < cmd.inspected_on:
        raise InvalidCommandError(
            "published_on cannot be before inspected_on", field="published_on"
        )
    await repo.upsert_inspection(conn, provider_id, cmd, text)
    event_ids = await record(
        conn,
        ctx,
        ProviderInspectedV1(
            occurred_at=cmd.inspected_on,
            provider_id=provider_id,
            judgement_text=text,
            **cmd.model_dump(),
        ),
    )
    return 201, {"provider_id": str(provider_id), "judgement_text": text, "event_ids": event_ids}


async def set_capacity(
    conn: asyncpg.Connection,
    *,
    provider_id: UUID,
    cmd: CapacityIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    """Set the places offered for a tier and phase from a date on."""
    await _provider(conn, provider_id)
    await repo.upsert_capacity(conn, provider_id, cmd)
    event_ids = await record(
        conn,
        ctx,
        ProviderCapacitySetV1(
            occurred_at=cmd.effective_from, provider_id=provider_id, **cmd.model_dump()
        ),
    )
    return 201, {"provider_id": str(provider_id), "event_ids": event_ids}


async def agree_contract(
    conn: asyncpg.Connection,
    *,
    provider_id: UUID,
    cmd: ContractIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    """Record a cost per place / session agreed for a tier over a period."""
    await _provider(conn, provider_id, for_update=True)  # one contract command at a time
    quality.check_contract(
        tier=cmd.tier, starts_on=cmd.starts_on, ends_on=cmd.ends_on,
        existing=await repo.contracts(conn, provider_id),
    )  # fmt: skip
    contract_id = uuid4()
    await repo.insert_contract(conn, contract_id, provider_id, cmd)
    event_ids = await record(
        conn,
        ctx,
        ProviderContractAgreedV1(
            occurred_at=cmd.starts_on,
            provider_id=provider_id,
            contract_id=contract_id,
            **cmd.model_dump(),
        ),
    )
    return 201, {
        "contract_id": str(contract_id),
        "provider_id": str(provider_id),
        "event_ids": event_ids,
    }


async def change_registration(
    conn: asyncpg.Connection,
    *,
    provider_id: UUID,
    cmd: RegistrationIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    """Record a change of the provider's registration (part of its quality record)."""
    await _provider(conn, provider_id, for_update=True)
    if cmd.registered and cmd.ofsted_urn is None:
        raise InvalidCommandError(
            "ofsted_urn (6 digits) is required when registered is true", field="ofsted_urn"
        )
    await repo.set_registration(conn, provider_id, cmd.registered, cmd.ofsted_urn, cmd.changed_on)
    event_ids = await record(
        conn,
        ctx,
        ProviderRegistrationChangedV1(
            occurred_at=cmd.changed_on, provider_id=provider_id,
            registered=cmd.registered, ofsted_urn=cmd.ofsted_urn,
        ),
    )  # fmt: skip
    return 201, {
        "provider_id": str(provider_id),
        "registered": cmd.registered,
        "ofsted_urn": cmd.ofsted_urn,
        "event_ids": event_ids,
    }


async def provider_profile(conn: asyncpg.Connection, provider_id: UUID, on: date) -> dict[str, Any]:
    """The provider with its approval on `on`, latest inspection, capacity and contracts."""
    provider = await _provider(conn, provider_id)
    state = quality.approval(await repo.checks(conn, provider_id), on)
    inspection = await repo.latest_inspection(conn, provider_id)
    return {
        **provider,
        "provider_id": str(provider_id),
        "as_of": on.isoformat(),
        "approved": state.approved,
        "lapsed_checks": list(state.lapsed_checks),
        "checks": state.checks,
        "inspection": inspection and {
            k: v.isoformat() if isinstance(v, date) else v for k, v in inspection.items()
        },
        "capacity": [
            {"tier": c.tier, "phase": c.phase, "places": c.places,
             "effective_from": c.effective_from.isoformat()}
            for c in await repo.capacity(conn, provider_id)
        ],
        "contracts": [
            {"contract_id": str(c.contract_id), "tier": c.tier,
             "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(),
             "cost": {"amount_pence": c.amount_pence, "per": c.per}}
            for c in await repo.contracts(conn, provider_id)
        ],
    }  # fmt: skip


# at placement ------------------------------------------------------------------------------


@dataclass
class Vetting:
    """What placing a pupil with a provider brought up: warnings to answer, events to record."""

    warnings: list[str] = field(default_factory=list)
    override_reason: str | None = None
    lapsed_checks: tuple[str, ...] = ()
    capacity: tuple[int, int] | None = None  # (places, in use) when beyond capacity

    def events(
        self, *, provider_id: UUID, placement_id: UUID, tier: Any, phase: Any, on: date
    ) -> list[EventData]:
        out: list[EventData] = []
        if self.override_reason:
            out.append(ProviderApprovalOverriddenV1(
                occurred_at=on, provider_id=provider_id, placement_id=placement_id,
                lapsed_checks=list(self.lapsed_checks), reason=self.override_reason,
            ))  # fmt: skip
        if self.capacity:
            out.append(ProviderCapacityExceededV1(
                occurred_at=on, provider_id=provider_id, placement_id=placement_id, tier=tier,
                phase=phase, places=self.capacity[0], in_use=self.capacity[1],
            ))  # fmt: skip
        return out


async def vet_placement(
    conn: asyncpg.Connection, *, cmd: Any, principal: Principal, mode: quality.ApprovalMode
) -> Vetting:
    """Approval (refused under `enforce` unless overridden) and capacity, on the start date."""
    state = quality.approval(await repo.checks(conn, cmd.provider_id), cmd.start_date)
    warnings, overridden = quality.vet_approval(
        state, provider_id=cmd.provider_id, mode=mode, role=principal.role,
        override_reason=cmd.override_reason,
    )  # fmt: skip
    vetting = Vetting(
        warnings=warnings,
        override_reason=cmd.override_reason if overridden else None,
        lapsed_checks=state.lapsed_checks,
    )
    places = quality.places_offered(
        await repo.capacity(conn, cmd.provider_id), tier=cmd.tier, phase=cmd.phase,
        on=cmd.start_date,
    )  # fmt: skip
    in_use = 1 + await repo.placements_in_use(
        conn, cmd.provider_id, tier=cmd.tier, phase=cmd.phase, on=cmd.start_date
    )
    warning = quality.capacity_warning(places=places, in_use=in_use)
    if warning and places is not None:
        vetting.warnings.append(warning)
        vetting.capacity = (places, in_use)
    return vetting


async def cost_or_contracted(conn: asyncpg.Connection, *, cmd: Any) -> Cost | None:
    """The body's cost, or, when it has none, the contract's for the tier on the start date;
    None (the cost is not known: a placed.v2 event) when no contract covers it either."""
    if cmd.cost is not None:
        return Cost.model_validate(cmd.cost)
    contract = quality.contracted_cost(
        await repo.contracts(conn, cmd.provider_id), tier=cmd.tier, on=cmd.start_date
    )
    if contract is None:
        return None
    return Cost(amount_pence=contract.amount_pence, per=contract.per)
