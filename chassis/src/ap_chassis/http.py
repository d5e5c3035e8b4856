"""Helpers for HTTP routes: who and what an event records, and idempotent command execution."""

from dataclasses import dataclass
from typing import Any

from ap_schemas.envelope import Actor
from fastapi import Request
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel

from .auth import Principal
from .idempotency import Command, request_hash, run_command


@dataclass(frozen=True)
class EventContext:
    """What every event written by one request shares: its source, actor and correlation id."""

    source: str
    actor: Actor
    correlation_id: str


def event_context(request: Request, principal: Principal) -> EventContext:
    span = trace.get_current_span().get_span_context()
    correlation = request.headers.get("x-correlation-id") or (
        format(span.trace_id, "032x") if span.is_valid else "none"
    )
    return EventContext(
        source=request.app.state.settings.service_name,
        actor=Actor(system=principal.role, user_id=principal.sub),
        correlation_id=correlation[:200],
    )


async def execute(
    request: Request,
    principal: Principal,
    command: Command,
    *,
    body: BaseModel | None,
    idempotency_key: str | None,
) -> JSONResponse:
    """Run a write command once per Idempotency-Key and answer with its (first) result."""
    payload: Any = body.model_dump(mode="json") if body is not None else None
    status, answer = await run_command(
        request.app.state.runtime.pool,
        command,
        principal=principal.sub,
        key=idempotency_key,
        fingerprint=request_hash(request.method, request.url.path, payload),
    )
    return JSONResponse(answer, status_code=status)
