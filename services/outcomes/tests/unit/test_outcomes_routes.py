"""Every write route of the outcomes service passes through the role check: a table over all
(`tests/support/route_table.py` says how a row is walked, with nothing reachable)."""

import pytest
from ap_outcomes import access, api
from ap_outcomes.app import Settings, create_app

from tests.support.route_table import SECRET, check_row, role_table, row_ids, served_posts

TABLE = role_table(api.writes.routes, access.POLICY)


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET=SECRET))


def test_every_write_route_is_a_declared_command_route(app):
    """No POST escapes the declaration; batches are lines sent through these same routes."""
    declared = {route.path for route in api.writes.routes}
    assert served_posts(app) - declared == {"/v1/batches"}
    assert len(api.writes.routes) == 4


@pytest.mark.parametrize(("route", "role", "status"), TABLE, ids=row_ids(TABLE))
async def test_each_role_meets_the_role_check_of_each_route(app, route, role, status):
    await check_row(app, route, role, status)
