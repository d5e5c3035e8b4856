"""SQL for the placement service's own tables. Parameters are always bind parameters."""

from typing import Any
from uuid import UUID

import asyncpg
from ap_chassis.db import insert_row

from .domain import Placement, ReferralFact


async def insert_provider(conn: asyncpg.Connection, provider_id: UUID, p: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO providers (provider_id, name, urn, ukprn, setting_type, registered, state_ap)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        provider_id,
        p["name"],
        p["urn"],
        p["ukprn"],
        p["setting_type"],
        p["registered"],
        p.get("state_ap", False),
    )


async def provider_exists(conn: asyncpg.Connection, provider_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM providers WHERE provider_id = $1", provider_id))


async def list_providers(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT provider_id, name, urn, ukprn, setting_type, registered FROM providers"
        " ORDER BY name"
    )
    return rows


async def lock_pupil(conn: asyncpg.Connection, pupil_id: UUID) -> None:
    """Serialise one pupil's writes so their outbox rows commit in order."""
    await conn.execute("INSERT INTO pupils (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id)
    await conn.execute("SELECT 1 FROM pupils WHERE pupil_id = $1 FOR UPDATE", pupil_id)


async def get_referral(conn: asyncpg.Connection, referral_id: UUID) -> ReferralFact | None:
    row = await conn.fetchrow(
        "SELECT referral_id, pupil_id, status, reason, referrer_urn FROM referral_replica"
        " WHERE referral_id = $1",
        referral_id,
    )
    return ReferralFact(**dict(row)) if row else None


async def record_referral(
    conn: asyncpg.Connection,
    *,
    referral_id: UUID,
    pupil_id: UUID,
    status: str,
    reason: str | None = None,
    referrer_urn: str | None = None,
) -> None:
    """Upsert what a referral event says; events of one pupil arrive in order (same key)."""
    await conn.execute(
        "INSERT INTO referral_replica (referral_id, pupil_id, status, reason, referrer_urn)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (referral_id) DO UPDATE SET"
        " status = EXCLUDED.status, reason = COALESCE(EXCLUDED.reason, referral_replica.reason),"
        " referrer_urn = COALESCE(EXCLUDED.referrer_urn, referral_replica.referrer_urn),"
        " updated_at = now()",
        referral_id,
        pupil_id,
        status,
        reason,
        referrer_urn,
    )


_PLACEMENT = (
    "SELECT placement_id, pupil_id, provider_id, commissioner_kind, commissioner_urn, start_date,"
    " end_date, end_reason FROM placements"
)


async def open_placement(conn: asyncpg.Connection, pupil_id: UUID) -> Placement | None:
    row = await conn.fetchrow(_PLACEMENT + " WHERE pupil_id = $1 AND end_date IS NULL", pupil_id)
    return Placement(**dict(row)) if row else None


async def get_placement(conn: asyncpg.Connection, placement_id: UUID) -> Placement | None:
    row = await conn.fetchrow(_PLACEMENT + " WHERE placement_id = $1", placement_id)
    return Placement(**dict(row)) if row else None


async def get_placement_details(conn: asyncpg.Connection, placement_id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM placements WHERE placement_id = $1", placement_id)
    return dict(row) if row else {}


async def insert_placement(conn: asyncpg.Connection, p: dict[str, Any]) -> None:
    await insert_row(conn, "placements", p)


async def save_end(conn: asyncpg.Connection, placement: Placement) -> None:
    await conn.execute(
        "UPDATE placements SET end_date = $2, end_reason = $3 WHERE placement_id = $1",
        placement.placement_id,
        placement.end_date,
        placement.end_reason,
    )
