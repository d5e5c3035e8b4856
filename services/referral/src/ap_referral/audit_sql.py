"""Referral's identity-read log: every identity-to-pseudonym lookup and identity read."""

from uuid import UUID

import asyncpg
from ap_chassis.auth import Principal


async def record_read(
    conn: asyncpg.Connection, principal: Principal, pupil_id: UUID, purpose: str
) -> None:
    await conn.execute(
        "INSERT INTO identity_reads (reader, role, pupil_id, purpose) VALUES ($1, $2, $3, $4)",
        principal.sub,
        principal.role,
        pupil_id,
        purpose,
    )


async def record_held_data_read(
    conn: asyncpg.Connection, principal: Principal, pupil_id: UUID
) -> None:
    await record_read(conn, principal, pupil_id, "held data")
