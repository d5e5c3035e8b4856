"""RFC 9457 problem+json answers for every error, validation errors naming each field.

A database or broker that cannot be reached (connection refused or dropped, the pool exhausted)
answers 503 with `Retry-After`: the command was not recorded and the same Idempotency-Key may be
retried. Anything else unexpected answers 500 with the trace id to quote, never the cause.
"""

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import (
    DomainError,
    ForbiddenError,
    InvalidCommandError,
    NotFoundError,
    NotYetKnownError,
)

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
RETRY_AFTER_SECONDS = 2

# A dependency away for a moment: the pool's acquire timeout (TimeoutError) included.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,  # a connection broken mid-operation ("cannot switch to state")
    KafkaConnectionError,
    ConnectionError,
    TimeoutError,
    OSError,
)


@dataclass(frozen=True)
class Problem:
    """How a domain error reads over HTTP."""

    status: int
    title: str
    retry_after: int | None = None


# The domain's error vocabulary (errors.py) at the HTTP edge; a subclass reads as its nearest
# listed ancestor.
DOMAIN_PROBLEMS: dict[type[DomainError], Problem] = {
    DomainError: Problem(409, "Rule violated"),
    NotFoundError: Problem(404, "Not found"),
    ForbiddenError: Problem(403, "Forbidden"),
    NotYetKnownError: Problem(409, "Prerequisite not yet known", retry_after=1),
    InvalidCommandError: Problem(422, "Validation failed"),
}


def problem_of(exc: DomainError) -> Problem:
    """The HTTP problem a domain error stands for (its nearest mapped class)."""
    return next(DOMAIN_PROBLEMS[c] for c in type(exc).__mro__ if c in DOMAIN_PROBLEMS)


class ProblemError(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers = errors, headers


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """An application/problem+json answer with the given status and fields."""
    body: dict[str, Any] = {
        "type": f"https://ap-journey.example/problems/{status}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# Messages that quote the input (or part of it) are replaced: an answer never echoes what a
# client chose, be it a JSON key, a UPN's characters or a malformed id.
_QUOTING = {"uuid_parsing": "a UUID is expected", "json_invalid": "the body is not valid JSON"}


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Each error as {field, message}; the field is the dotted path inside the body or query.

    An unknown key is reported as `<parent>.(unknown field)`, never by its client-chosen name.
    """
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        kind = str(err.get("type", ""))
        if kind == "extra_forbidden" and loc:
            loc[-1] = "(unknown field)"
        if kind == "json_invalid":
            loc = []
        message = _QUOTING.get(kind, str(err.get("msg", "invalid")))
        out.append({"field": ".".join(loc) or "body", "message": message})
    return out


def install(app: FastAPI) -> None:
    """Map every error the app can raise to a problem answer; none escapes as a crash."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, errors=exc.errors, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc)
        fields = ", ".join(e["field"] for e in errors)
        return problem_response(
            422, "Validation failed", f"invalid fields: {fields}", errors=errors
        )

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        problem = problem_of(exc)
        wait = problem.retry_after
        headers = {"Retry-After": str(wait)} if wait is not None else None
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
        return problem_response(
            problem.status, problem.title, exc.detail, errors=errors, headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(asyncpg.PostgresConnectionError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(asyncpg.TooManyConnectionsError)
    @app.exception_handler(asyncpg.CannotConnectNowError)
    @app.exception_handler(asyncpg.InternalClientError)
    @app.exception_handler(KafkaConnectionError)
    @app.exception_handler(OSError)  # ConnectionError and TimeoutError are OSErrors
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        return unavailable(request, exc)

    app.add_middleware(UnexpectedErrors)


def trace_id() -> str:
    """The current trace's id (what the logs and traces carry), or a fresh id without one."""
    span = trace.get_current_span().get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else uuid.uuid4().hex


def unavailable(request: Request, exc: BaseException) -> JSONResponse:
    """503 with Retry-After: a dependency was unreachable and nothing was recorded."""
    log.warning(
        "dependency unavailable: %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return problem_response(
        503,
        "Service unavailable",
        "a dependency is briefly unreachable; nothing was recorded, retry with the same "
        "Idempotency-Key",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class UnexpectedErrors:
    """Any error no handler claimed: 500 problem+json with the trace id, the cause only logged.

    Pure ASGI (not an exception handler) so that the error stops here: Starlette's server-error
    handler would answer and then re-raise it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise
            if isinstance(exc, UNAVAILABLE):
                response = unavailable(Request(scope), exc)
            else:
                tid = trace_id()
                log.exception("unexpected error", extra={"error_trace_id": tid})
                response = problem_response(
                    500,
                    "Internal error",
                    f"an unexpected error occurred; quote trace id {tid}",
                    headers={"X-Trace-Id": tid},
                    extra={"trace_id": tid},
                )
            await response(scope, receive, send)
