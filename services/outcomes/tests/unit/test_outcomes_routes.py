"""Every write route of the outcomes service passes through the role check: a table over all.

Nothing is reachable: the app is built but never started, so no database or broker exists. A
role the policy never lets do a route's action is 403 naming that action, whatever it sends; a
role it may let through gets past the check and stops at the empty body (422).
"""

from uuid import uuid4

import httpx
import pytest
from ap_chassis.auth import ROLES, issue_token
from ap_outcomes import access, api
from ap_outcomes.app import Settings, create_app

SECRET = "outcomes-route-table-" + "s" * 20
SCOPE = {"school": {"urn": "100001"}, "provider": {"provider_id": str(uuid4())}}
TABLE = [
    (route, role, 422 if access.POLICY.role_may(role, route.action) else 403)
    for route in api.writes.routes
    for role in sorted(ROLES)
]


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET=SECRET))


def test_every_write_route_is_a_declared_command_route(app):
    """No POST escapes the declaration; batches are lines sent through these same routes."""
    served = {path for path, operations in app.openapi()["paths"].items() if "post" in operations}
    declared = {route.path for route in api.writes.routes}
    assert served - declared == {"/v1/batches"}
    assert len(api.writes.routes) == 4


@pytest.mark.parametrize(
    ("route", "role", "status"), TABLE, ids=[f"{r.name}-{role}" for r, role, _ in TABLE]
)
async def test_each_role_meets_the_role_check_of_each_route(app, route, role, status):
    token = issue_token(SECRET, sub="table", role=role, **SCOPE.get(role, {}))
    path = route.path.format(**{name: uuid4() for name in route.path_parameters})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://outcomes") as client:
        answer = await client.post(path, json={}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == status, answer.text
    if status == 403:
        verb = route.action.replace("_", " ")
        assert answer.json()["detail"] == f"this role or scope may not {verb} here"
