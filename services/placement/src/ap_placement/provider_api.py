"""HTTP routes for provider quality, capacity and contracts (docs/http-api.md#placement-8002):
parse a body into a command, dispatch it, answer."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from ap_chassis.access import enforce
from ap_chassis.auth import Principal
from ap_chassis.http import Handler, IdempotencyKey
from ap_schemas.envelope import utcnow
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from . import access
from . import provider_handlers as handlers
from .api import run
from .commands import (
    AgreeContract,
    ChangeRegistration,
    ProviderCommand,
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
    Result,
)
from .uow import PlacementUnitOfWork

router = APIRouter(prefix="/v1/providers", tags=["providers"])
Officer = Annotated[Principal, Depends(access.POLICY.requires("manage_provider"))]


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


def _command(
    path: str,
    body_type: type[BaseModel],
    command: Callable[..., ProviderCommand],
    handler: Handler[PlacementUnitOfWork, Any],
    result: type[Result],
) -> None:
    """A POST on one provider (its quality record): the handler in one idempotent transaction."""

    async def route(
        provider_id: UUID,
        body: body_type,  # type: ignore[valid-type]
        request: Request,
        principal: Officer,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        cmd = command(provider_id=provider_id, **dict(body))
        return await run(request, principal, handler, cmd, body, idempotency_key)

    router.add_api_route(
        path, route, methods=["POST"], status_code=201, response_model=result,
        name=handler.__name__, description=handler.__doc__,
    )  # fmt: skip


_command("/{provider_id}/checks", CheckIn, RecordCheck, handlers.record_check, CheckRecorded)
_command(
    "/{provider_id}/inspections", InspectionIn, RecordInspection, handlers.record_inspection,
    ProviderInspected,
)  # fmt: skip
_command("/{provider_id}/capacity", CapacityIn, SetCapacity, handlers.set_capacity, ProviderChanged)
_command(
    "/{provider_id}/contracts", ContractIn, AgreeContract, handlers.agree_contract, ContractAgreed
)
_command(
    "/{provider_id}/registration", RegistrationIn, ChangeRegistration,
    handlers.change_registration, RegistrationChanged,
)  # fmt: skip
