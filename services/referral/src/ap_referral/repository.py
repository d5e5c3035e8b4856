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


async def upsert_pupil(conn: asyncpg.Connection, upn: str, identity: dict[str, Any]) -> UUID:
    """The pupil's id for this UPN (new on first sight); latest details kept; row locked."""
    values = [_column(k, identity.get(k)) for k in _IDENTITY]
    sets = ", ".join(f"{k} = EXCLUDED.{k}" for k in _IDENTITY)
    cols = ", ".join(_IDENTITY)
    params = ", ".join(f"${i}" for i in range(3, 3 + len(_IDENTITY)))
    pupil_id: UUID = await conn.fetchval(
        f"INSERT INTO pupils (pupil_id, upn, {cols}) VALUES ($1, $2, {params})"  # noqa: S608
        f" ON CONFLICT (upn) DO UPDATE SET {sets}, updated_at = now() RETURNING pupil_id",
        uuid4(),
        upn,
        *values,
    )
    return pupil_id


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
