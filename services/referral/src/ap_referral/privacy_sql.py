"""SQL of the referral service's data-protection use cases. Parameters are bind parameters;
column names come from the database's own catalogue and are checked before use."""

import re
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# Register columns that are not personal: the key and bookkeeping. Every other column is
# identifying and is nulled on erasure, including columns other features add later.
NOT_PERSONAL = frozenset({"pupil_id", "erased_at", "updated_at", "created_at"})
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


async def lock_register_row(conn: asyncpg.Connection, pupil_id: UUID) -> dict[str, Any] | None:
    """The pupil's register row, locked (what was held), or None."""
    row = await conn.fetchrow("SELECT * FROM pupils WHERE pupil_id = $1 FOR UPDATE", pupil_id)
    return dict(row) if row else None


async def identity_columns(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'pupils' ORDER BY ordinal_position"
    )
    names = [r["column_name"] for r in rows if r["column_name"] not in NOT_PERSONAL]
    if not all(_NAME.match(n) for n in names):
        raise ValueError("unexpected column name in pupils")
    return names


async def null_identity(conn: asyncpg.Connection, pupil_id: UUID) -> datetime:
    """Null every identifying column of the row; return when it was (first) erased."""
    sets = ", ".join(f'"{c}" = NULL' for c in await identity_columns(conn))
    erased_at: datetime = await conn.fetchval(
        f"UPDATE pupils SET {sets}, erased_at = COALESCE(erased_at, now()),"  # noqa: S608
        " updated_at = now() WHERE pupil_id = $1 RETURNING erased_at",
        pupil_id,
    )
    # Proposed identity changes keep old and new values: personal data too.
    await conn.execute("DELETE FROM identity_changes WHERE pupil_id = $1", pupil_id)
    return erased_at


async def record_erasure(
    conn: asyncpg.Connection, pupil_id: UUID, *, basis: str, requested_by: str, role: str,
    reason: str,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO erasures (pupil_id, basis, requested_by, role, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        pupil_id, basis, requested_by, role, reason,
    )  # fmt: skip
