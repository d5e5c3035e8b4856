"""Provider quality use cases (checks, inspections, capacity, contracts, registration) and the
provider's profile: load through the unit of work, decide with the domain, save, record."""

from dataclasses import asdict
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from ap_schemas.codes import codeset
from ap_schemas.envelope import utcnow

from . import domain
from . import provider_quality as quality
from .commands import AgreeContract, ChangeRegistration, RecordCheck, RecordInspection, SetCapacity
from .repository import Providers
from .results import (
    CheckRecorded,
    ContractAgreed,
    ProviderChanged,
    ProviderInspected,
    RegistrationChanged,
)
from .uow import PlacementUnitOfWork


async def _provider(
    providers: Providers, provider_id: UUID, *, for_update: bool = False
) -> domain.Provider:
    return domain.known(await providers.get(provider_id, for_update=for_update), provider_id)


async def record_check(uow: PlacementUnitOfWork, cmd: RecordCheck, loaded: None) -> CheckRecorded:
    """Record a due-diligence check or QA visit with its expiry."""
    await _provider(uow.providers, cmd.provider_id)
    check, events, state = quality.record_check(
        await uow.providers.checks(cmd.provider_id), cmd, check_id=uuid4(), today=utcnow().date()
    )
    await uow.providers.add_check(cmd.provider_id, check)
    return CheckRecorded(
        check_id=check.check_id, provider_id=cmd.provider_id, approved=state.approved,
        lapsed_checks=list(state.lapsed_checks), event_ids=uow.record(*events),
        queries=[asdict(q) for q in state.queries],
    )  # fmt: skip


async def record_inspection(
    uow: PlacementUnitOfWork, cmd: RecordInspection, loaded: None
) -> ProviderInspected:
    """Record the latest published inspection: its date and judgement code (a code set)."""
    await _provider(uow.providers, cmd.provider_id)
    inspection, events = quality.inspect(cmd, codeset("inspection_judgements"))
    await uow.providers.save_inspection(cmd.provider_id, inspection)
    return ProviderInspected(
        provider_id=cmd.provider_id, judgement_text=inspection.judgement_text,
        event_ids=uow.record(*events),
    )  # fmt: skip


async def set_capacity(uow: PlacementUnitOfWork, cmd: SetCapacity, loaded: None) -> ProviderChanged:
    """Set the places offered for a tier and phase from a date on."""
    await _provider(uow.providers, cmd.provider_id)
    capacity, events = quality.set_capacity(cmd)
    await uow.providers.save_capacity(cmd.provider_id, capacity)
    return ProviderChanged(provider_id=cmd.provider_id, event_ids=uow.record(*events))


async def agree_contract(
    uow: PlacementUnitOfWork, cmd: AgreeContract, loaded: None
) -> ContractAgreed:
    """Record a cost per place / session agreed for a tier over a period."""
    # locked: one contract command at a time, so two overlapping contracts cannot both pass
    await _provider(uow.providers, cmd.provider_id, for_update=True)
    contract, events = quality.agree_contract(
        await uow.providers.contracts(cmd.provider_id), cmd, contract_id=uuid4()
    )
    await uow.providers.add_contract(cmd.provider_id, contract)
    return ContractAgreed(
        contract_id=contract.contract_id, provider_id=cmd.provider_id,
        event_ids=uow.record(*events),
    )  # fmt: skip


async def change_registration(
    uow: PlacementUnitOfWork, cmd: ChangeRegistration, loaded: None
) -> RegistrationChanged:
    """Record a change of the provider's registration (part of its quality record)."""
    provider = await _provider(uow.providers, cmd.provider_id, for_update=True)
    changed, events = domain.change_registration(provider, cmd)
    await uow.providers.save_registration(changed)
    return RegistrationChanged(
        provider_id=cmd.provider_id, registered=cmd.registered, ofsted_urn=cmd.ofsted_urn,
        event_ids=uow.record(*events),
    )  # fmt: skip


def listed(provider: domain.Provider) -> dict[str, Any]:
    """A provider as GET /v1/providers and the profile show it."""
    return {
        "provider_id": str(provider.provider_id), "name": provider.name, "urn": provider.urn,
        "ukprn": provider.ukprn, "setting_type": provider.setting_type,
        "registered": provider.registered,
    }  # fmt: skip


async def provider_profile(providers: Providers, provider_id: UUID, on: date) -> dict[str, Any]:
    """The provider with its approval on `on`, latest inspection, capacity and contracts."""
    provider = await _provider(providers, provider_id)
    state = quality.approval(await providers.checks(provider_id), on)
    inspection = await providers.latest_inspection(provider_id)
    return {
        **listed(provider),
        "as_of": on.isoformat(),
        "approved": state.approved,
        "lapsed_checks": list(state.lapsed_checks),
        "checks": state.checks,
        "queries": [asdict(q) for q in state.queries],
        "inspection": inspection and {
            k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(inspection).items()
        },
        "capacity": [
            {"tier": c.tier, "phase": c.phase, "places": c.places,
             "effective_from": c.effective_from.isoformat()}
            for c in await providers.capacity(provider_id)
        ],
        "contracts": [
            {"contract_id": str(c.contract_id), "tier": c.tier,
             "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(),
             "cost": {"amount_pence": c.amount_pence, "per": c.per}}
            for c in await providers.contracts(provider_id)
        ],
    }  # fmt: skip
