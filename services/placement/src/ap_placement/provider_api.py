"""HTTP routes for provider quality, capacity and contracts (docs/http-api.md#placement-8002):
the profile, and one command route per write (`ap_chassis.command_route`), LA officers only."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar
from uuid import UUID

from ap_chassis.access import enforce
from ap_chassis.auth import Principal
from ap_chassis.command_route import CommandRoutes
from ap_chassis.http import nothing_to_load
from ap_schemas.envelope import utcnow
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from . import access
from . import provider_handlers as handlers
from .commands import (
    AgreeContract,
    ChangeRegistration,
    RecordCheck,
    RecordInspection,
    SetCapacity,
)
from .provider_models import CapacityIn, CheckIn, ContractIn, InspectionIn, RegistrationIn
from .repository import PgProviders
from .results import (
    CheckRecorded,
    ContractAgreed,
    ProviderChanged,
    ProviderInspected,
    RegistrationChanged,
)
from .uow import PlacementUnitOfWork

router = APIRouter(prefix="/v1/providers", tags=["providers"])
writes = CommandRoutes(router, unit_of_work=PlacementUnitOfWork, policy=access.POLICY)
C = TypeVar("C")


@router.get("/{provider_id}")
async def get_provider(
    provider_id: UUID,
    request: Request,
    principal: Annotated[Principal, Depends(access.POLICY.requires("read_provider"))],
    as_of: Annotated[
        date | None, Query(description="approval on this day; today by default")
    ] = None,
) -> dict[str, Any]:
    """The provider, `approved` and `lapsed_checks` on the day, its latest inspection, capacity
    and contracts. A provider sees only itself."""
    outcome = access.can(principal, "read_provider", access.ProviderRef(str(provider_id)))
    enforce(outcome, action="read", what=f"provider {provider_id}")
    async with request.app.state.runtime.pool.acquire() as conn:
        return await handlers.provider_profile(
            PgProviders(conn), provider_id, as_of or utcnow().date()
        )


def on_provider(make: Callable[..., C]) -> Callable[[BaseModel, UUID], C]:
    """The command of a write on one provider: its body and the provider the path names."""

    def command(body: BaseModel, provider_id: UUID) -> C:
        return make(provider_id=provider_id, **dict(body))

    return command


writes.post(
    "/{provider_id}/checks",
    body=CheckIn,
    command=on_provider(RecordCheck),
    action="manage_provider",
    authorize=nothing_to_load,
    handler=handlers.record_check,
    answer=CheckRecorded,
    status_code=201,
)
writes.post(
    "/{provider_id}/inspections",
    body=InspectionIn,
    command=on_provider(RecordInspection),
    action="manage_provider",
    authorize=nothing_to_load,
    handler=handlers.record_inspection,
    answer=ProviderInspected,
    status_code=201,
)
writes.post(
    "/{provider_id}/capacity",
    body=CapacityIn,
    command=on_provider(SetCapacity),
    action="manage_provider",
    authorize=nothing_to_load,
    handler=handlers.set_capacity,
    answer=ProviderChanged,
    status_code=201,
)
writes.post(
    "/{provider_id}/contracts",
    body=ContractIn,
    command=on_provider(AgreeContract),
    action="manage_provider",
    authorize=nothing_to_load,
    handler=handlers.agree_contract,
    answer=ContractAgreed,
    status_code=201,
)
writes.post(
    "/{provider_id}/registration",
    body=RegistrationIn,
    command=on_provider(ChangeRegistration),
    action="manage_provider",
    authorize=nothing_to_load,
    handler=handlers.change_registration,
    answer=RegistrationChanged,
    status_code=201,
)
