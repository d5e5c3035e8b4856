"""Every write route of the placement service passes through the role check: a table over all.

Nothing is reachable: the app is built but never started, so no database or broker exists. A
role the policy never lets do a route's action is 403 naming that action, whatever it sends; a
role it may let through gets past the check and stops at what it sent (422: an empty body, or a
path id that is not one).
"""

from uuid import uuid4

import httpx
import pytest
from ap_chassis.auth import ROLES, issue_token
from ap_placement import access, api, provider_api
from ap_placement.app import Settings, create_app

SECRET = "placement-route-table-" + "s" * 20
SCOPE = {"school": {"urn": "100001"}, "provider": {"provider_id": str(uuid4())}}
ROUTES = [*api.writes.routes, *provider_api.writes.routes]
TABLE = [
    (route, role, 422 if access.POLICY.role_may(role, route.action) else 403)
    for route in ROUTES
    for role in sorted(ROLES)
]


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET=SECRET))


def test_every_write_route_is_a_declared_command_route(app):
    """No POST escapes the declaration but batches (lines sent through these same routes) and
    the bulk import (a file whose rows are sent through them), and the shared data-protection
    routes."""
    served = {path for path, operations in app.openapi()["paths"].items() if "post" in operations}
    declared = {route.path for route in ROUTES}
    assert declared <= served
    assert {p for p in served - declared if not p.startswith("/v1/data-protection")} == {
        "/v1/batches",
        "/v1/imports",
    }
    assert [route.name for route in ROUTES] == [
        "register_provider", "place_pupil", "end_placement", "record_check",
        "record_inspection", "set_capacity", "agree_contract", "change_registration",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("route", "role", "status"), TABLE, ids=[f"{r.name}-{role}" for r, role, _ in TABLE]
)
async def test_each_role_meets_the_role_check_of_each_route(app, route, role, status):
    token = issue_token(SECRET, sub="table", role=role, **SCOPE.get(role, {}))
    path = route.path.format(**{name: "not-an-id" for name in route.path_parameters})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://placement") as client:
        answer = await client.post(path, json={}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == status, answer.text
    if status == 403:
        verb = route.action.replace("_", " ")
        assert answer.json()["detail"] == f"this role or scope may not {verb} here"
