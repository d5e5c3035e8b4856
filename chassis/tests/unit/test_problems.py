"""The domain's error vocabulary read at the HTTP edge: each class's problem+json answer."""

import httpx
import pytest
from ap_chassis import problems
from ap_chassis.errors import (
    DomainError,
    ForbiddenError,
    InvalidCommandError,
    NotFoundError,
    NotYetKnownError,
)
from fastapi import FastAPI


def app_raising(exc: Exception) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    ("exc", "status", "title", "retry_after"),
    [
        (DomainError("the placement already ended", field="end_date"), 409, "Rule violated", None),
        (NotFoundError("no placement 1"), 404, "Not found", None),
        (ForbiddenError("this role may not"), 403, "Forbidden", None),
        (NotYetKnownError("not here yet", field="pupil_id"), 409,
         "Prerequisite not yet known", "1"),
        (InvalidCommandError("too many", field="x"), 422, "Validation failed", None),
    ],
)  # fmt: skip
async def test_each_domain_error_answers_its_problem(exc, status, title, retry_after):
    transport = httpx.ASGITransport(app=app_raising(exc))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/boom")
    assert answer.status_code == status
    assert answer.headers["content-type"] == problems.PROBLEM
    assert answer.headers.get("retry-after") == retry_after
    errors = {"errors": [{"field": exc.field, "message": exc.detail}]} if exc.field else {}
    assert answer.json() == {
        "type": f"https://ap-journey.example/problems/{status}",
        "title": title,
        "status": status,
        "detail": exc.detail,
        **errors,
    }


def test_a_subclass_reads_as_its_nearest_listed_ancestor():
    class StaleError(NotYetKnownError):
        pass

    assert problems.problem_of(StaleError("x")) == problems.DOMAIN_PROBLEMS[NotYetKnownError]
