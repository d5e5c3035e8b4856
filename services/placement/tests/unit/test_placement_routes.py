"""Every write route of the placement service passes through the role check: a table over all
(`tests/support/route_table.py` says how a row is walked, with nothing reachable)."""

import pytest
from ap_placement import access, api, provider_api
from ap_placement.app import Settings, create_app

from tests.support.route_table import SECRET, check_row, role_table, row_ids, served_posts

ROUTES = [*api.writes.routes, *provider_api.writes.routes]
TABLE = role_table(ROUTES, access.POLICY)


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET=SECRET))


def test_every_write_route_is_a_declared_command_route(app):
    """No POST escapes the declaration but batches (lines sent through these same routes), the
    bulk import (a file whose rows are sent through them) and the shared data-protection routes.
    `place_pupil` meets the role check like `end_placement`."""
    declared = {route.path for route in ROUTES}
    served = served_posts(app)
    assert declared <= served
    assert {p for p in served - declared if not p.startswith("/v1/data-protection")} == {
        "/v1/batches",
        "/v1/imports",
    }
    assert [(route.name, route.action) for route in ROUTES] == [
        ("register_provider", "register_provider"), ("place_pupil", "commission"),
        ("end_placement", "end"), ("record_check", "manage_provider"),
        ("record_inspection", "manage_provider"), ("set_capacity", "manage_provider"),
        ("agree_contract", "manage_provider"), ("change_registration", "manage_provider"),
    ]  # fmt: skip


@pytest.mark.parametrize(("route", "role", "status"), TABLE, ids=row_ids(TABLE))
async def test_each_role_meets_the_role_check_of_each_route(app, route, role, status):
    await check_row(app, route, role, status)
