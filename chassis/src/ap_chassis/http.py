"""Helpers for HTTP routes: who and what an event records, and idempotent command execution."""

import functools
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import asyncpg
from ap_schemas.envelope import Actor
from fastapi import Header, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel

from .access import tenant
from .auth import Principal
from .idempotency import remember, replay, request_hash
from .uow import EventContext as EventContext  # re-exported: handlers import it from here
from .uow import PgUnitOfWork

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


_OPAQUE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def actor_id(principal: Principal) -> str:
    """The actor recorded on events: a pseudonym of (tenant, sub), never the token's subject.

    The identity provider's subject may be an e-mail address; the same caller always gets the
    same pseudonym, so an auditor holding the subject can find its events and nobody else can.
    """
    digest = hashlib.sha256(f"{tenant(principal)}:{principal.sub}".encode()).hexdigest()
    return "u-" + digest[:24]


def correlation_id(request: Request) -> str:
    """The caller's `x-correlation-id` when it is an opaque id (8-64 of A-Z a-z 0-9 -), else
    the trace id: free text never reaches a general topic through it."""
    given = request.headers.get("x-correlation-id", "")
    if _OPAQUE_ID.match(given):
        return given
    span = trace.get_current_span().get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else uuid.uuid4().hex


def event_context(request: Request, principal: Principal) -> EventContext:
    """Who and what an event recorded by this request names: service, actor, correlation."""
    return EventContext(
        source=request.app.state.settings.service_name,
        actor=Actor(system=principal.role, user_id=actor_id(principal)),
        correlation_id=correlation_id(request),
    )


U = TypeVar("U", bound=PgUnitOfWork)
C = TypeVar("C")
L = TypeVar("L")
R = TypeVar("R", bound=BaseModel)
Authorize = Callable[[U, C, Principal], Awaitable[L]]
"""`(uow, command, principal) -> loaded`: load and lock what access depends on, check, hand on."""
Handle = Callable[[U, C, L], Awaitable[R]]
"""`(uow, command, loaded) -> answer`: the use case, deciding on what `Authorize` loaded. It is
not given the principal, so it cannot check access again; it never commits and knows no HTTP."""
Steps = Callable[[U], Awaitable[Callable[[], Awaitable[BaseModel]]]]
"""A command inside its unit of work: check access (loading and locking what the check reads),
then hand back the use case bound to what was loaded, to run unless a stored answer replays."""


async def nothing_to_load(uow: PgUnitOfWork, command: object, principal: Principal) -> None:
    """The authorize step of a write whose role check decides it all: no resource to load."""
    return None


def steps_of(
    authorize: Authorize[U, C, L], handler: Handle[U, C, L, R], command: C, principal: Principal
) -> Steps[U]:
    """The access step, then the use case bound to what that step loaded and checked."""

    async def steps(uow: U) -> Callable[[], Awaitable[BaseModel]]:
        loaded = await authorize(uow, command, principal)
        return functools.partial(handler, uow, command, loaded)

    return steps


async def answer_once(
    request: Request,
    principal: Principal,
    *,
    body: BaseModel,
    idempotency_key: str | None,
    unit_of_work: Callable[[asyncpg.Connection, EventContext], U],
    steps: Steps[U],
    status_code: int,
) -> JSONResponse:
    """Run a command's steps once per Idempotency-Key, keyed by caller, and answer the result."""
    status, answer = await run_steps_once(
        request.app.state.runtime.pool,
        event_context(request, principal),
        scope=f"{tenant(principal)}:{principal.sub}",
        unit_of_work=unit_of_work,
        key=idempotency_key,
        fingerprint=request_hash(request.method, request.url.path, body.model_dump(mode="json")),
        steps=steps,
        status_code=status_code,
    )
    return JSONResponse(answer, status_code=status)


async def run_once(
    pool: asyncpg.Pool,
    ctx: EventContext,
    principal: Principal,
    *,
    scope: str,
    authorize: Authorize[U, C, L],
    handler: Handle[U, C, L, R],
    command: C,
    unit_of_work: Callable[[asyncpg.Connection, EventContext], U],
    key: str | None,
    fingerprint: str,
    status_code: int = 200,
) -> tuple[int, dict[str, Any]]:
    """A command route's steps without the HTTP request: for callers such as the bulk import
    that run a command as if it had been posted. `scope` is whose keys these are (a route:
    role, tenant and subject). Answers (status, answer), the stored one on a replay."""
    return await run_steps_once(
        pool, ctx, scope=scope, unit_of_work=unit_of_work, key=key, fingerprint=fingerprint,
        steps=steps_of(authorize, handler, command, principal), status_code=status_code,
    )  # fmt: skip


async def run_steps_once(
    pool: asyncpg.Pool,
    ctx: EventContext,
    *,
    scope: str,
    unit_of_work: Callable[[asyncpg.Connection, EventContext], U],
    key: str | None,
    fingerprint: str,
    steps: Steps[U],
    status_code: int,
) -> tuple[int, dict[str, Any]]:
    """In one unit of work: the access steps, then the stored answer for the key if there is
    one, else the use case, its answer remembered and everything committed together."""
    async with pool.acquire() as conn, unit_of_work(conn, ctx) as uow:
        run = await steps(uow)
        stored = await replay(conn, principal=scope, key=key, fingerprint=fingerprint)
        if stored is not None:
            return stored
        result = await run()
        answer = result.model_dump(mode="json")
        await remember(conn, principal=scope, key=key, status=status_code, answer=answer)
        await uow.commit()
    return status_code, answer
