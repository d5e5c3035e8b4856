"""HTTP routes for provider quality, capacity and contracts (api.md "Providers, quality and
sufficiency"): parse, authorise, delegate to a handler, answer."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import Principal, require
from ap_chassis.errors import NotFoundError
from ap_chassis.http import IdempotencyKey, execute
from ap_schemas.envelope import utcnow
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from . import provider_handlers as handlers
from .provider_models import CapacityIn, CheckIn, ContractIn, InspectionIn

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


@router.post("/{provider_id}/checks", status_code=201)
async def record_check(
    provider_id: UUID, body: CheckIn, request: Request, principal: Officer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:  # fmt: skip
    """Record a due-diligence check or QA visit with its expiry."""
    return await execute(
        handlers.record_check, request, principal, body, idempotency_key, provider_id=provider_id
    )


@router.post("/{provider_id}/inspections", status_code=201)
async def record_inspection(
    provider_id: UUID, body: InspectionIn, request: Request, principal: Officer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:  # fmt: skip
    """Record the latest published inspection: its date and judgement code (a code set)."""
    return await execute(
        handlers.record_inspection, request, principal, body, idempotency_key,
        provider_id=provider_id,
    )  # fmt: skip


@router.post("/{provider_id}/capacity", status_code=201)
async def set_capacity(
    provider_id: UUID, body: CapacityIn, request: Request, principal: Officer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:  # fmt: skip
    """Set the places offered for a tier and phase from a date on."""
    return await execute(
        handlers.set_capacity, request, principal, body, idempotency_key, provider_id=provider_id
    )


@router.post("/{provider_id}/contracts", status_code=201)
async def agree_contract(
    provider_id: UUID, body: ContractIn, request: Request, principal: Officer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:  # fmt: skip
    """Record a cost per place / session agreed for a tier over a period."""
    return await execute(
        handlers.agree_contract, request, principal, body, idempotency_key,
        provider_id=provider_id,
    )  # fmt: skip
