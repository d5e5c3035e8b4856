"""SQL of the import tables, and provider look-ups by identifier. Bind parameters only."""

from typing import Any
from uuid import UUID

import asyncpg

from .validate import Issue

COUNTS = ("rows", "validated", "applied", "unchanged", "refused", "awaiting", "steps_total",
          "steps_done")  # fmt: skip


async def create_import(conn: asyncpg.Connection, record: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO imports (import_id, principal, role, school_urn, layout, dry_run,"
        " file_sha256, file_bytes, file_format, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'validating')",
        record["import_id"], record["principal"], record["role"], record["school_urn"],
        record["layout"], record["dry_run"], record["file_sha256"], record["file_bytes"],
        record["file_format"],
    )  # fmt: skip


async def update_import(
    pool: asyncpg.Pool, import_id: UUID, status: str | None = None, **counts: int
) -> None:
    """Set the status (when given) and any of COUNTS; stamps the phase times."""
    sets, args = ["updated_at = now()"], list[Any]([import_id])
    if status is not None:
        args.append(status)
        sets.append(f"status = ${len(args)}")
        if status == "applying":
            sets.append("applying_at = now()")
        if status in ("done", "failed"):
            sets.append("finished_at = now()")
    for name, value in counts.items():
        if name not in COUNTS:
            raise ValueError(f"not a count: {name}")
        args.append(value)
        sets.append(f"{name} = ${len(args)}")
    await pool.execute(f"UPDATE imports SET {', '.join(sets)} WHERE import_id = $1", *args)  # noqa: S608


async def add_report(pool: asyncpg.Pool, import_id: UUID, issues: list[Issue]) -> None:
    async with pool.acquire() as conn:
        start = await conn.fetchval(
            "SELECT COALESCE(max(seq), 0) FROM import_report WHERE import_id = $1", import_id
        )
        await conn.copy_records_to_table(
            "import_report",
            columns=["import_id", "seq", "row", "field", "message"],
            records=[(import_id, start + i, x.row, x.field, x.message[:1000])
                     for i, x in enumerate(issues, start=1)],
        )  # fmt: skip


async def get_import(conn: asyncpg.Connection, import_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM imports WHERE import_id = $1", import_id)
    return dict(row) if row else None


async def report(
    conn: asyncpg.Connection, import_id: UUID, *, limit: int | None = None
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT row, field, message FROM import_report WHERE import_id = $1"
        " ORDER BY row NULLS FIRST, seq LIMIT $2",
        import_id,
        limit,
    )
    return rows


async def command_answer(
    pool: asyncpg.Pool, principal: str, key: str
) -> tuple[int, dict[str, Any]] | None:
    row = await pool.fetchrow(
        "SELECT status_code, answer FROM import_commands WHERE principal = $1 AND key = $2",
        principal,
        key,
    )
    return (row["status_code"], row["answer"]) if row else None


async def remember_command(
    pool: asyncpg.Pool, principal: str, key: str, status: int, answer: dict[str, Any]
) -> None:
    await pool.execute(
        "INSERT INTO import_commands (principal, key, status_code, answer) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        principal,
        key,
        status,
        answer,
    )


async def find_provider(
    pool: asyncpg.Pool, *, urn: str | None, ukprn: str | None, setting_type: str | None, name: str
) -> UUID | None:
    """A registered provider with this URN, else UKPRN, else this setting type and name."""
    if urn:
        found = await pool.fetchval(
            "SELECT provider_id FROM providers WHERE urn = $1 ORDER BY created_at LIMIT 1", urn
        )
    elif ukprn:
        found = await pool.fetchval(
            "SELECT provider_id FROM providers WHERE ukprn = $1 ORDER BY created_at LIMIT 1", ukprn
        )
    else:
        found = await pool.fetchval(
            "SELECT provider_id FROM providers WHERE setting_type = $1 AND urn IS NULL"
            " AND ukprn IS NULL AND name = $2 ORDER BY created_at LIMIT 1",
            setting_type,
            name,
        )
    return UUID(str(found)) if found else None
