"""Read-model generations: which schema reads use, and the atomic switch to a rebuilt one.

Reporting's database holds two kinds of table. Its own state, which no log can give back, lives in
`public` (migrations/state/ and the chassis's: identity reads, census serial numbers, erased pupils,
idempotency keys, rebuild records). The read models, which the journey topics re-create, live in a
schema `rm_<generation>` built by every file of migrations/ with unqualified names (so any future
migration lands in each new generation too), together with that schema's own `inbox`.

`read_model_active` names the generation in use. Every pooled connection enters it on acquire
(`public.read_model_enter()`: a shared advisory lock on the generation and the search path
`rm_<n>, public`), and asyncpg's reset on release drops both. The live consumers therefore write
where the reads read. A switch to a rebuilt generation:
1. takes the old generation's lock exclusively (waits for in-flight requests and consumer
   transactions; new ones queue: reads wait a moment, never fail);
2. checks that the new schema holds everything the live consumers applied to the old one (its
   inbox is a superset; every identity held there is held as recently) and removes any identity
   of a pupil erased meanwhile; else it gives up and the rebuild reads on and tries again;
3. updates the pointer in the same transaction and lets go: queued connections enter the new one.
The live consumers keep their own consumer groups and offsets: whatever they read next that the
rebuild applied already is a duplicate in the new schema's inbox. Then the old schema is dropped
under the same exclusive lock, once the last connection that entered it has gone back to the pool.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from ap_chassis.db import migrate, set_pool_setup
from ap_chassis.runtime import Runtime

log = logging.getLogger(__name__)

READ_MODEL_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
STATE_MIGRATIONS = READ_MODEL_MIGRATIONS / "state"

LOCK = "hashtext('ap_read_models')"
# Read-model tables created in public before generations existed (moved into the first one).
LEGACY_TABLES = ("journey_events", "pupil_state", "pupil_identity", "providers", "placement_facts",
                 "provider_events")  # fmt: skip


def schema_of(generation: int) -> str:
    return f"rm_{int(generation)}"


async def enter(conn: asyncpg.Connection) -> None:
    """The pool's setup: this connection reads and writes the active generation until released."""
    await conn.execute("SELECT public.read_model_enter()")


async def active_generation(conn: asyncpg.Connection) -> int | None:
    generation: int | None = await conn.fetchval("SELECT generation FROM public.read_model_active")
    return generation


async def new_generation(pool: asyncpg.Pool) -> int:
    """A fresh schema with every read-model migration applied (and its own empty inbox)."""
    generation: int = await pool.fetchval("SELECT nextval('public.read_model_generations')")
    await migrate(pool, [READ_MODEL_MIGRATIONS], schema=schema_of(generation))
    return generation


async def prepare(runtime: Runtime) -> list[str]:
    """`on_migrated`: make sure a generation is active (the first one adopts the read models of a
    database from before generations), bring it up to date, then route the pool into it.

    Returns the read-model migrations just applied to a generation that already holds events:
    a table they add starts empty of what those events imply, so the caller rebuilds (see
    `rebuild.after_upgrade`). Empty for a new database or one already up to date."""
    pool = runtime.pool
    stale: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock(hashtext('ap_read_models_bootstrap'))")
        try:
            generation = await active_generation(conn)
            if generation is None:
                generation = await conn.fetchval("SELECT nextval('public.read_model_generations')")
                await _adopt_legacy(conn, schema_of(generation))
                applied = await migrate(pool, [READ_MODEL_MIGRATIONS], schema=schema_of(generation))
                await conn.execute(
                    "INSERT INTO public.read_model_active (generation) VALUES ($1)", generation
                )
            else:
                applied = await migrate(pool, [READ_MODEL_MIGRATIONS], schema=schema_of(generation))
            if applied and await _holds_events(conn, schema_of(generation)):
                stale = applied
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext('ap_read_models_bootstrap'))")
    set_pool_setup(pool, enter)
    return stale


async def _holds_events(conn: asyncpg.Connection, schema: str) -> bool:
    """Whether the generation's read models were built from any event yet."""
    return bool(
        await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {schema}.journey_events)"  # noqa: S608 (rm_<int>)
        )
    )


async def _adopt_legacy(conn: asyncpg.Connection, schema: str) -> None:
    """Move read models kept in public (before generations) into `schema`, with what was applied
    of them and the reporting consumers' inbox, so an upgrade starts where it stood."""
    if await conn.fetchval("SELECT to_regclass('public.journey_events')") is None:
        return
    async with conn.transaction():
        await conn.execute(
            f"CREATE SCHEMA {schema};"  # noqa: S608  (schema names are rm_<int>)
            f" CREATE TABLE {schema}.schema_migrations"
            " (LIKE public.schema_migrations INCLUDING ALL);"
            f" INSERT INTO {schema}.schema_migrations SELECT * FROM public.schema_migrations"
            "  WHERE name LIKE 'migrations/%';"
            f" CREATE TABLE {schema}.inbox (LIKE public.inbox INCLUDING ALL);"
            f" INSERT INTO {schema}.inbox SELECT * FROM public.inbox;"
        )
        for table in LEGACY_TABLES:
            if await conn.fetchval("SELECT to_regclass($1)", f"public.{table}") is not None:
                await conn.execute(f"ALTER TABLE public.{table} SET SCHEMA {schema}")
    log.info("read models in public adopted as %s", schema)


async def try_switch(
    conn: asyncpg.Connection, old: int, new: int, consumers: Sequence[str]
) -> bool:
    """Make `new` the active generation if it holds everything applied to `old` (see module doc).
    False (nothing changed) when it does not yet, or the old generation stayed busy too long.

    The inbox is compared for `consumers` only: those of topics kept whole. A compacted topic
    (journey.identity) loses superseded events, so there the identities themselves are compared."""
    old_s, new_s = schema_of(old), schema_of(new)
    try:
        await conn.execute("SET lock_timeout = '5s'")
        await conn.execute(f"SELECT pg_advisory_lock({LOCK}, $1)", old)
    except asyncpg.LockNotAvailableError:
        return False
    finally:
        await conn.execute("RESET lock_timeout")
    try:
        async with conn.transaction():
            missing = await conn.fetchval(
                f"SELECT (SELECT count(*) FROM {old_s}.inbox o WHERE NOT EXISTS ("  # noqa: S608
                f"  SELECT 1 FROM {new_s}.inbox n"
                "   WHERE n.consumer = o.consumer AND n.event_id = o.event_id)"
                "  AND o.consumer = ANY($1::text[]))"
                f" + (SELECT count(*) FROM {old_s}.pupil_identity o WHERE NOT EXISTS ("
                f"  SELECT 1 FROM {new_s}.pupil_identity n"
                "   WHERE n.pupil_id = o.pupil_id AND n.recorded_at >= o.recorded_at)"
                "  AND o.pupil_id NOT IN (SELECT pupil_id FROM public.erased_pupils))",
                list(consumers),
            )
            if missing:
                log.info(
                    "switch to %s deferred: %d applied to %s only", new_s, missing, old_s,
                    extra={"missing": await _missing_ids(conn, old_s, new_s, consumers)},
                )  # fmt: skip
                return False
            await conn.execute(
                f"DELETE FROM {new_s}.pupil_identity"  # noqa: S608
                " WHERE pupil_id IN (SELECT pupil_id FROM public.erased_pupils)"
            )
            await conn.execute("UPDATE public.read_model_active SET generation = $1", new)
        return True
    finally:
        await conn.execute(f"SELECT pg_advisory_unlock({LOCK}, $1)", old)


async def _missing_ids(
    conn: asyncpg.Connection, old_s: str, new_s: str, consumers: Sequence[str]
) -> list[str]:
    """Up to 5 of what holds a switch back, by pseudonymous id only (event or pupil)."""
    rows = await conn.fetch(
        f"(SELECT 'event ' || o.consumer || ' ' || o.event_id FROM {old_s}.inbox o"  # noqa: S608
        f" WHERE o.consumer = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM {new_s}.inbox n"
        "  WHERE n.consumer = o.consumer AND n.event_id = o.event_id) LIMIT 5)"
        f" UNION ALL (SELECT 'identity ' || o.pupil_id FROM {old_s}.pupil_identity o"
        f" WHERE NOT EXISTS (SELECT 1 FROM {new_s}.pupil_identity n"
        "  WHERE n.pupil_id = o.pupil_id AND n.recorded_at >= o.recorded_at)"
        "  AND o.pupil_id NOT IN (SELECT pupil_id FROM public.erased_pupils) LIMIT 5)",
        list(consumers),
    )
    return [r[0] for r in rows]


async def drop(conn: asyncpg.Connection, generation: int) -> None:
    """Drop a generation nobody is in: waits for connections that entered it to go back."""
    await conn.execute(f"SELECT pg_advisory_lock({LOCK}, $1)", generation)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema_of(generation)} CASCADE")
    finally:
        await conn.execute(f"SELECT pg_advisory_unlock({LOCK}, $1)", generation)


async def drop_unused(conn: asyncpg.Connection) -> list[str]:
    """Drop every read-model schema that is not the active one (an abandoned rebuild's)."""
    active = await active_generation(conn)
    names = [
        r["nspname"]
        for r in await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname ~ '^rm_[0-9]+$'")
    ]
    dropped = [n for n in names if n != schema_of(active or 0)]
    for name in dropped:
        await drop(conn, int(name[3:]))
    return dropped
