"""Database access: each service's own database on a shared server, a pool, and migrations."""

import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)
CHASSIS_SQL = Path(__file__).parent / "sql"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def database_dsn(server_url: str, name: str) -> str:
    """The server URL with its database replaced by `name` (query such as ?host= kept)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + name))


async def ensure_database(server_url: str, name: str) -> str:
    """Create the service's database if missing; return its DSN."""
    if not _NAME.match(name):
        raise ValueError(f"not a safe database name: {name!r}")
    conn = await asyncpg.connect(database_dsn(server_url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                # Identifiers cannot be bind parameters; the name is checked against _NAME above.
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.DuplicateDatabaseError:
                pass  # created concurrently by another process
    finally:
        await conn.close()
    return database_dsn(server_url, name)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection outside the pool, with the pool's codecs (a long job's own session)."""
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


class Pool(asyncpg.Pool):  # type: ignore[misc]
    """A pool whose `acquire` gives up after `acquire_timeout` seconds (TimeoutError -> 503).

    Without it a request waits for ever on an exhausted pool.
    """

    acquire_timeout: float = 5.0
    on_acquire: Callable[[asyncpg.Connection], Awaitable[None]] | None = None

    def acquire(self, *, timeout: float | None = None):  # type: ignore[no-untyped-def]
        """A connection, waiting at most the pool's acquire timeout unless told otherwise."""
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, acquire_timeout: float = 5.0
) -> asyncpg.Pool:
    """A pool that bounds waits and runs the service's on-acquire hook per connection."""

    async def setup(conn: asyncpg.Connection) -> None:
        if pool.on_acquire is not None:
            await pool.on_acquire(conn)

    pool = Pool(
        dsn,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        connect=None,
        setup=setup,
        init=_init_connection,
        reset=None,
        loop=None,
    )
    pool.acquire_timeout = acquire_timeout
    await pool
    return pool


def set_pool_setup(
    pool: asyncpg.Pool, setup: Callable[[asyncpg.Connection], Awaitable[None]]
) -> None:
    """Run `setup` on every connection the pool hands out from now on (set after the migrations
    it may depend on); asyncpg's reset on release undoes session state and advisory locks."""
    pool.on_acquire = setup


def _schema_name(schema: str) -> str:
    if not _NAME.match(schema):
        raise ValueError(f"not a safe schema name: {schema!r}")
    return schema


async def migrate(
    pool: asyncpg.Pool, directories: Sequence[Path], *, schema: str | None = None
) -> list[str]:
    """Apply unapplied `*.sql` files, chassis first, each once, under an advisory lock.

    With `schema`, only `directories` are applied, into that schema (created if missing): the
    search path is `<schema>, public`, so unqualified names are created there and the record of
    what was applied is the schema's own `schema_migrations`."""
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock(hashtext('ap_migrations'))")
        try:
            if schema is not None:
                name = _schema_name(schema)
                await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {name}")
                await conn.execute(f"SET search_path TO {name}, public")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for directory in (*(() if schema else (CHASSIS_SQL,)), *directories):
                for path in sorted(directory.glob("*.sql")):
                    name = f"{directory.name}/{path.name}"
                    if name in done:
                        continue
                    async with conn.transaction():
                        await conn.execute(path.read_text())
                        await conn.execute("INSERT INTO schema_migrations(name) VALUES ($1)", name)
                    applied.append(name)
                    log.info("migration applied", extra={"migration": name})
        finally:
            await conn.execute("RESET search_path")
            await conn.execute("SELECT pg_advisory_unlock(hashtext('ap_migrations'))")
    return applied


async def insert_row(conn: asyncpg.Connection, table: str, row: dict[str, Any]) -> None:
    """INSERT one row; `table` and the keys are the caller's own identifiers, never input."""
    if not (_NAME.match(table) and all(_NAME.match(c) for c in row)):
        raise ValueError("not a safe identifier")
    cols = ", ".join(row)
    params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({params})", *row.values())  # noqa: S608
