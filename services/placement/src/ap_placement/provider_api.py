"""HTTP routes for provider quality, capacity and contracts (api.md "Providers, quality and
sufficiency"): parse, authorise, delegate to a handler, answer."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import Principal, require
from ap_chassis.errors import NotFoundError
from ap_chassis.http import IdempotencyKey, UseCase, execute
from ap_schemas.envelope import utcnow
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from . import provider_handlers as handlers
from .provider_models import CapacityIn, CheckIn, ContractIn, InspectionIn, RegistrationIn

router = APIRouter(prefix="/v1/providers", tags=["providers"])
Officer = Annotated[Principal, Depends(require("la_officer"))]


@router.get("/{provider_id}")
async def get_provider(
    provider_id: UUID,
    request: Request,
    principal: Annotated[
        Principal, Depends(require("la_officer", "school", "provider", "analyst"))
    ],
    as_of: Annotated[
        date | None, Query(description="approval on this day; today by default")
    ] = None,
) -> dict[str, Any]:
    """The provider, `approved` and `lapsed_checks` on the day, its latest inspection, capacity
    and contracts. A provider sees only itself."""
    if principal.role == "provider" and principal.provider_id != str(provider_id):
        raise NotFoundError(f"no provider {provider_id}")
    async with request.app.state.runtime.pool.acquire() as conn:
        return await handlers.provider_profile(conn, provider_id, as_of or utcnow().date())


def _command(path: str, body_type: type[BaseModel], use_case: UseCase) -> None:
    """A POST on one provider (`la_officer` only): the use case in one idempotent transaction."""

    async def route(
        provider_id: UUID,
        body: body_type,  # type: ignore[valid-type]
        request: Request,
        principal: Officer,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        return await execute(
            use_case, request, principal, body, idempotency_key, provider_id=provider_id
        )

    router.add_api_route(
        path, route, methods=["POST"], status_code=201, name=use_case.__name__,
        description=use_case.__doc__,
    )  # fmt: skip


_command("/{provider_id}/checks", CheckIn, handlers.record_check)
_command("/{provider_id}/inspections", InspectionIn, handlers.record_inspection)
_command("/{provider_id}/capacity", CapacityIn, handlers.set_capacity)
_command("/{provider_id}/contracts", ContractIn, handlers.agree_contract)
_command("/{provider_id}/registration", RegistrationIn, handlers.change_registration)
