"""RFC 9457 problem+json answers for every error, validation errors naming each field."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import DomainError, NotYetKnownError

PROBLEM = "application/problem+json"


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
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://ap-journey.example/problems/{status}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
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
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, NotYetKnownError) else None
        )
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
        return problem_response(exc.status, exc.title, exc.detail, errors=errors, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail))
