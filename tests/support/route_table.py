"""Every write route of a service meets the role check: the table, and one row of it walked.

The app is built and never started, so nothing is reachable. A role the policy never lets do a
route's action is 403 naming that action, whatever it sends; a role it may let through gets past
the check and stops at what it sent (422: an empty body, or a path id that is not one).
"""

from collections.abc import Iterable
from uuid import uuid4

import httpx
from ap_chassis.access import Policy
from ap_chassis.auth import ROLES, issue_token
from ap_chassis.command_route import CommandRoute
from fastapi import FastAPI

SECRET = "route-table-" + "s" * 32
Row = tuple[CommandRoute, str, int]


def role_table(routes: Iterable[CommandRoute], policy: Policy) -> list[Row]:
    """(route, role, status) for every route and role: 422 past the check, else 403."""
    return [
        (route, role, 422 if policy.role_may(role, route.action) else 403)
        for route in routes
        for role in sorted(ROLES)
    ]


def row_ids(table: list[Row]) -> list[str]:
    """`operation-role`, one per row, for the test ids."""
    return [f"{route.name}-{role}" for route, role, _ in table]


async def check_row(app: FastAPI, route: CommandRoute, role: str, status: int) -> None:
    """Post an empty body as `role` (path ids that are not ids) and find the row's status."""
    scope = {"school": {"urn": "100001"}, "provider": {"provider_id": str(uuid4())}}
    token = issue_token(SECRET, sub="table", role=role, **scope.get(role, {}))
    path = route.path.format(**{name: "not-an-id" for name in route.path_parameters})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        answer = await client.post(path, json={}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == status, answer.text
    if status == 403:
        verb = route.action.replace("_", " ")
        assert answer.json()["detail"] == f"this role or scope may not {verb} here"


def served_posts(app: FastAPI) -> set[str]:
    """Every path the app serves a POST on, as its OpenAPI document lists them."""
    return {path for path, operations in app.openapi()["paths"].items() if "post" in operations}
