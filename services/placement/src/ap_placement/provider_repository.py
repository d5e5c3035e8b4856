"""SQL for provider quality, capacity and contracts. Parameters are always bind parameters."""

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from .provider_quality import Capacity, CheckRecord, Contract

_PROVIDER = (
    "SELECT provider_id, name, urn, ukprn, setting_type, registered FROM providers"
    " WHERE provider_id = $1"
)


async def get_provider(
    conn: asyncpg.Connection, provider_id: UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    """The provider's row; `for_update` serialises commands on one provider."""
    sql = _PROVIDER + (" FOR UPDATE" if for_update else "")
    row = await conn.fetchrow(sql, provider_id)
    return dict(row) if row else None


async def set_registration(
    conn: asyncpg.Connection, provider_id: UUID, registered: bool, urn: str | None, on: date
) -> None:
    """The registration as of the latest change (by changed_on); a URN given replaces the one
    held, none keeps it. An earlier-dated change leaves the current state as it is."""
    await conn.execute(
        "UPDATE providers SET registered = $2, urn = COALESCE($3, urn),"
        " registration_changed_on = $4 WHERE provider_id = $1"
        " AND (registration_changed_on IS NULL OR registration_changed_on <= $4)",
        provider_id, registered, urn, on,
    )  # fmt: skip


async def checks(conn: asyncpg.Connection, provider_id: UUID) -> list[CheckRecord]:
    rows = await conn.fetch(
        "SELECT check_name, checked_on, expires_on, outcome, seq FROM provider_checks"
        " WHERE provider_id = $1",
        provider_id,
    )
    return [
        CheckRecord(r["check_name"], r["checked_on"], r["expires_on"], r["outcome"], r["seq"])
        for r in rows
    ]


async def insert_check(conn: asyncpg.Connection, check_id: UUID, provider_id: UUID, c: Any) -> None:
    await conn.execute(
        "INSERT INTO provider_checks (check_id, provider_id, check_name, checked_on, expires_on,"
        " outcome, officer_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        check_id, provider_id, c.check, c.checked_on, c.expires_on, c.outcome, c.officer_id,
    )  # fmt: skip


async def latest_inspection(conn: asyncpg.Connection, provider_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT ofsted_urn, inspected_on, published_on, judgement, judgement_text"
        " FROM provider_inspections WHERE provider_id = $1 ORDER BY inspected_on DESC LIMIT 1",
        provider_id,
    )
    return dict(row) if row else None


async def upsert_inspection(
    conn: asyncpg.Connection, provider_id: UUID, i: Any, judgement_text: str
) -> None:
    await conn.execute(
        "INSERT INTO provider_inspections (provider_id, inspected_on, ofsted_urn, published_on,"
        " judgement, judgement_text) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (provider_id, inspected_on) DO UPDATE SET ofsted_urn = EXCLUDED.ofsted_urn,"
        " published_on = EXCLUDED.published_on, judgement = EXCLUDED.judgement,"
        " judgement_text = EXCLUDED.judgement_text, recorded_at = now()",
        provider_id, i.inspected_on, i.ofsted_urn, i.published_on, i.judgement, judgement_text,
    )  # fmt: skip


async def capacity(conn: asyncpg.Connection, provider_id: UUID) -> list[Capacity]:
    rows = await conn.fetch(
        "SELECT tier, phase, places, effective_from FROM provider_capacity WHERE provider_id = $1"
        " ORDER BY tier, phase, effective_from",
        provider_id,
    )
    return [Capacity(**dict(r)) for r in rows]


async def upsert_capacity(conn: asyncpg.Connection, provider_id: UUID, c: Any) -> None:
    await conn.execute(
        "INSERT INTO provider_capacity (provider_id, tier, phase, effective_from, places)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider_id, tier, phase, effective_from)"
        " DO UPDATE SET places = EXCLUDED.places",
        provider_id, c.tier, c.phase, c.effective_from, c.places,
    )  # fmt: skip


async def contracts(conn: asyncpg.Connection, provider_id: UUID) -> list[Contract]:
    rows = await conn.fetch(
        "SELECT contract_id, tier, starts_on, ends_on, amount_pence, per FROM provider_contracts"
        " WHERE provider_id = $1 ORDER BY tier, starts_on",
        provider_id,
    )
    return [Contract(**dict(r)) for r in rows]


async def insert_contract(
    conn: asyncpg.Connection, contract_id: UUID, provider_id: UUID, c: Any
) -> None:
    await conn.execute(
        "INSERT INTO provider_contracts (contract_id, provider_id, tier, starts_on, ends_on,"
        " amount_pence, per) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        contract_id, provider_id, c.tier, c.starts_on, c.ends_on, c.cost.amount_pence, c.cost.per,
    )  # fmt: skip


async def placements_in_use(
    conn: asyncpg.Connection, provider_id: UUID, *, tier: int, phase: str | None, on: date
) -> int:
    """Placements with the provider for the tier (and phase, when given) running on `on`."""
    n: int = await conn.fetchval(
        "SELECT count(*) FROM placements WHERE provider_id = $1 AND tier = $2"
        " AND ($3::text IS NULL OR phase = $3) AND start_date <= $4"
        " AND (end_date IS NULL OR end_date >= $4)",
        provider_id, tier, phase, on,
    )  # fmt: skip
    return n
