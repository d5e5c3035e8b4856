"""Helpers of the data-protection tests: a pupil placed by the LA, and a scan of every table."""

import json
import random
import secrets
from datetime import date, timedelta
from typing import Any

from tests.e2e.support.journeys import LA, accepted_referral, new_provider, placement_body, retrying
from tests.support.platform import referral_body


def unique_identity(**overrides: Any) -> dict[str, Any]:
    """A referral body whose name and date of birth occur nowhere else in the session."""
    # Inside the 2035 census birth range (1 Sep 2015 - 31 Dec 2032), so the pupil is in scope.
    born = date(2020, 1, 1) + timedelta(days=random.randint(0, 364))
    return referral_body(
        forename="Fen" + secrets.token_hex(4),
        surname="Quill" + secrets.token_hex(4),
        date_of_birth=born.isoformat(),
        **overrides,
    )


async def placed_pupil(services, body: dict[str, Any], start_date: str) -> dict[str, Any]:
    """Refer, accept and place `body`'s pupil with the LA as commissioner."""
    provider_id = await new_provider(services)
    referral = await accepted_referral(services, decided_on=body["referred_on"], **body)
    placed = await retrying(lambda: services.placement.post(
        "/v1/placements",
        json=placement_body(referral["referral_id"], provider_id, start_date=start_date,
                            planned_end_date=None),
        headers=LA,
    ))  # fmt: skip
    assert placed.status_code == 201, placed.text
    return referral


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


async def tables_holding(services, needles: list[str]) -> dict[str, list[str]]:
    """Every `service.table` of every service's database whose rows contain any needle."""
    found: dict[str, list[str]] = {}
    for name, app in services.apps.items():
        pool = app.state.runtime.pool
        tables = await pool.fetch(
            "SELECT DISTINCT table_name FROM information_schema.tables"  # reporting: rm_<n> too
            " WHERE table_schema = ANY (current_schemas(false)) AND table_type = 'BASE TABLE'"
        )
        for t in tables:
            rows = await pool.fetch(f'SELECT * FROM "{t["table_name"]}"')
            text = "\n".join(_text(v) for r in rows for v in r.values())
            hits = [n for n in needles if n in text]
            if hits:
                found[f"{name}.{t['table_name']}"] = hits
    return found
