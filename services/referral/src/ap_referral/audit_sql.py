"""Referral's identity-read log: every identity-to-pseudonym lookup and identity read."""

from typing import Any
from uuid import UUID

import asyncpg
from ap_chassis.auth import Principal
from ap_chassis.http import UseCase


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


def recorded(use_case: UseCase, purpose: str) -> UseCase:
    """Wrap a write use case that maps identity to a `pupil_id`: its answer's pupil is
    recorded as read by the caller, in the same transaction (an idempotent replay, which runs
    nothing, records nothing)."""

    async def audited(conn: asyncpg.Connection, **kw: Any) -> tuple[int, dict[str, Any]]:
        status, answer = await use_case(conn, **kw)
        if status < 300 and answer.get("pupil_id"):
            await record_read(conn, kw["principal"], UUID(answer["pupil_id"]), purpose)
        return status, answer

    return audited
