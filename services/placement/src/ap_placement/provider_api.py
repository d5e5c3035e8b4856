"""HTTP routes for provider quality, capacity and contracts (docs/http-api.md#placement-8002):
the profile, and one command route per write (`ap_chassis.command_route`), LA officers only."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar
from uuid import UUID

from ap_chassis.access import enforce
from ap_chassis.auth import Principal
from ap_chassis.command_route import CommandRoutes
from ap_chassis.http import Handle, nothing_to_load
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
B = TypeVar("B", bound=BaseModel)
C = TypeVar("C")
R = TypeVar("R", bound=BaseModel)


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


def manage(
    path: str,
    body: type[B],
    make: Callable[..., C],
    handler: Handle[PlacementUnitOfWork, C, None, R],
    answer: type[R],
) -> None:
    """A write on one provider's record: LA officers only, nothing to load but the provider,
    which the use case reads (and, for contracts, locks) itself."""
    writes.post(
        path, body=body, command=on_provider(make), action="manage_provider",
        authorize=nothing_to_load, handler=handler, answer=answer, status_code=201,
    )  # fmt: skip


manage("/{provider_id}/checks", CheckIn, RecordCheck, handlers.record_check, CheckRecorded)
manage(
    "/{provider_id}/inspections", InspectionIn, RecordInspection, handlers.record_inspection,
    ProviderInspected,
)  # fmt: skip
manage("/{provider_id}/capacity", CapacityIn, SetCapacity, handlers.set_capacity, ProviderChanged)
manage(
    "/{provider_id}/contracts", ContractIn, AgreeContract, handlers.agree_contract, ContractAgreed
)
manage(
    "/{provider_id}/registration", RegistrationIn, ChangeRegistration,
    handlers.change_registration, RegistrationChanged,
)  # fmt: skip
