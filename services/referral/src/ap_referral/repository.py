"""SQL for the referral service's own tables. Parameters are always bind parameters."""

from typing import Any
from uuid import UUID, uuid4

import asyncpg

from .domain import Referral

_IDENTITY = (
    "forename", "surname", "middle_names", "preferred_surname", "date_of_birth", "sex",
    "ethnicity", "fsm_eligible", "postcode", "sen_provision",
    "uln", "address_lines", "uprn", "service_child", "fsm_periods",  # 0004_returns_identity.sql
)  # fmt: skip


def _column(key: str, value: Any) -> Any:
    """fsm_periods is jsonb: its dates as ISO text."""
    if key == "fsm_periods" and value is not None:
        return [{k: v.isoformat() if v else None for k, v in p.items()} for p in value]
    return value


async def _pupil_where(conn: asyncpg.Connection, column: str, value: Any) -> asyncpg.Record | None:
    cols = ", ".join(_IDENTITY)
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT pupil_id, upn, {cols} FROM pupils WHERE {column} = $1 FOR UPDATE",  # noqa: S608
        value,
    )
    return row


async def pupil_by_upn(conn: asyncpg.Connection, upn: str) -> asyncpg.Record | None:
    """The register row of this UPN, locked for the rest of the transaction, or None."""
    return await _pupil_where(conn, "upn", upn)


async def pupil_by_id(conn: asyncpg.Connection, pupil_id: UUID) -> asyncpg.Record | None:
    return await _pupil_where(conn, "pupil_id", pupil_id)


async def insert_pupil(conn: asyncpg.Connection, upn: str, identity: dict[str, Any]) -> UUID | None:
    """A new pupil for a UPN first seen; None when a concurrent first sight of it won."""
    values = [_column(k, identity.get(k)) for k in _IDENTITY]
    cols = ", ".join(_IDENTITY)
    params = ", ".join(f"${i}" for i in range(3, 3 + len(_IDENTITY)))
    pupil_id: UUID | None = await conn.fetchval(
        f"INSERT INTO pupils (pupil_id, upn, {cols}) VALUES ($1, $2, {params})"  # noqa: S608
        " ON CONFLICT (upn) DO NOTHING RETURNING pupil_id",
        uuid4(),
        upn,
        *values,
    )
    return pupil_id


def identity_of(row: asyncpg.Record) -> dict[str, Any]:
    return {k: row[k] for k in _IDENTITY}


async def propose_identity_change(
    conn: asyncpg.Connection,
    *,
    pupil_id: UUID,
    referral_id: UUID,
    proposed_by: str,
    old: dict[str, Any],
    new: dict[str, Any],
) -> UUID:
    change_id = uuid4()
    await conn.execute(
        "INSERT INTO identity_changes (change_id, pupil_id, referral_id, proposed_by, old_values,"
        " new_values, status) VALUES ($1, $2, $3, $4, $5, $6, 'proposed')",
        change_id, pupil_id, referral_id, proposed_by, old, new,
    )  # fmt: skip
    return change_id


_CHANGE = (
    "SELECT change_id, pupil_id, referral_id, proposed_at, old_values, new_values, status,"
    " applied_at FROM identity_changes"
)


async def identity_changes(conn: asyncpg.Connection, pupil_id: UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        _CHANGE + " WHERE pupil_id = $1 ORDER BY proposed_at, change_id", pupil_id
    )
    return rows


async def identity_change(
    conn: asyncpg.Connection, pupil_id: UUID, change_id: UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        _CHANGE + " WHERE pupil_id = $1 AND change_id = $2 FOR UPDATE", pupil_id, change_id
    )
    return row


async def apply_identity_change(
    conn: asyncpg.Connection,
    *,
    pupil_id: UUID,
    change_id: UUID,
    values: dict[str, Any],
    applied_by: str,
) -> None:
    """Write the new values into the register; the change row keeps old and new as history."""
    fields = [k for k in _IDENTITY if k in values]
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=2))
    await conn.execute(
        f"UPDATE pupils SET {sets}, updated_at = now() WHERE pupil_id = $1",  # noqa: S608
        pupil_id,
        *(_column(k, values[k]) for k in fields),
    )
    await conn.execute(
        "UPDATE identity_changes SET status = 'applied', applied_by = $2, applied_at = now()"
        " WHERE change_id = $1",
        change_id,
        applied_by,
    )


async def lock_pupil(conn: asyncpg.Connection, pupil_id: UUID) -> None:
    """Serialise one pupil's writes so their outbox rows commit in order."""
    await conn.execute("SELECT 1 FROM pupils WHERE pupil_id = $1 FOR UPDATE", pupil_id)


async def insert_referral(conn: asyncpg.Connection, r: Referral) -> None:
    await conn.execute(
        "INSERT INTO referrals (referral_id, pupil_id, status, referrer_kind, referrer_urn, reason,"
        " tier_requested, referred_on, excluded_on, sen_provision, home_school_urn)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        r.referral_id,
        r.pupil_id,
        r.status,
        r.referrer_kind,
        r.referrer_urn,
        r.reason,
        r.tier_requested,
        r.referred_on,
        r.excluded_on,
        r.sen_provision,
        r.home_school_urn,
    )


async def save_referral(conn: asyncpg.Connection, r: Referral) -> None:
    await conn.execute(
        "UPDATE referrals SET status = $2, decision = $3, decided_on = $4, decision_reason = $5,"
        " withdrawn_on = $6, withdrawal_reason = $7 WHERE referral_id = $1",
        r.referral_id,
        r.status,
        r.decision,
        r.decided_on,
        r.decision_reason,
        r.withdrawn_on,
        r.withdrawal_reason,
    )


async def get_referral(conn: asyncpg.Connection, referral_id: UUID) -> Referral | None:
    row = await conn.fetchrow(
        "SELECT referral_id, pupil_id, status, referrer_kind, referrer_urn, reason, tier_requested,"
        " referred_on, excluded_on, sen_provision, home_school_urn, decision, decided_on,"
        " decision_reason, withdrawn_on, withdrawal_reason FROM referrals WHERE referral_id = $1",
        referral_id,
    )
    return Referral(**dict(row)) if row else None
