"""SQL the statutory returns need beyond the shared read models. Bind parameters only."""

from typing import Any

import asyncpg

from ..event_types import PLACED, REFERRED


async def placement_extras(
    conn: asyncpg.Connection, placement_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Per placement: who pays (as recorded, or None on events recorded before `funded_by`
    existed) and the pupil's SEN provision at referral, from the placed and referred events on
    the timeline."""
    rows = await conn.fetch(
        "SELECT p.data->>'placement_id' AS placement_id, p.data->>'funded_by' AS funded_by,"
        " r.data->>'sen_provision' AS sen_at_referral"
        " FROM journey_events p LEFT JOIN journey_events r"
        "   ON r.pupil_id = p.pupil_id AND r.type = $2"
        "  AND r.data->>'referral_id' = p.data->>'referral_id'"
        " WHERE p.type = $3 AND p.data->>'placement_id' = ANY($1::text[])",
        placement_ids,
        REFERRED,
        PLACED,
    )
    return {r["placement_id"]: dict(r) for r in rows}


async def next_serial(conn: asyncpg.Connection, census_date: Any) -> int:
    """The next serial number of a census file for this census date (1, 2, ...)."""
    serial: int = await conn.fetchval(
        "INSERT INTO census_serials (census_date, serial_no) VALUES ($1, 1)"
        " ON CONFLICT (census_date) DO UPDATE SET serial_no = census_serials.serial_no + 1"
        " RETURNING serial_no",
        census_date,
    )
    return serial
