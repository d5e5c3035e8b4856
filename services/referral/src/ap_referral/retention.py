"""The referral service's retention job, and its schedule inside the service.

`run` erases the identifying details of every pupil whose retention ended (`retention_rule`),
each erasure exactly as an LA officer's (tombstone and all, basis `retention`), then expires old
idempotency keys, and returns counts. `scheduler()` is a router whose lifespan runs the job every
`retention_interval_seconds` (default daily; 0 disables) once the service is up.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from ap_chassis.retention import RetentionSettings, run_shared
from fastapi import APIRouter, FastAPI

from . import privacy
from .retention_rule import anniversary, is_due

log = logging.getLogger(__name__)


async def _candidates(conn: asyncpg.Connection, born_by: Any) -> list[asyncpg.Record]:
    """Unerased pupils old enough for the shorter period, with every SEN provision recorded."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT p.pupil_id, p.date_of_birth, p.sen_provision,"
        " array_agg(r.sen_provision) FILTER (WHERE r.sen_provision IS NOT NULL) AS provisions"
        " FROM pupils p LEFT JOIN referrals r ON r.pupil_id = p.pupil_id"
        " WHERE p.erased_at IS NULL AND p.date_of_birth IS NOT NULL AND p.date_of_birth <= $1"
        " GROUP BY p.pupil_id, p.date_of_birth, p.sen_provision",
        born_by,
    )
    return rows


async def run(pool: asyncpg.Pool, rules: RetentionSettings, now: datetime) -> dict[str, Any]:
    today = now.astimezone(UTC).date()
    rule = {"general_years": rules.retention_general_years,
            "sen_years": rules.retention_sen_years, "sen_codes": rules.sen_codes}  # fmt: skip
    shortest = min(rules.retention_general_years, rules.retention_sen_years)
    # Born on or before this date: old enough for the shorter period (a 1 March stand-in
    # for 29 February only ever makes the filter wider).
    born_by = anniversary(today, -shortest)
    erased = 0
    async with pool.acquire() as conn:
        for row in await _candidates(conn, born_by):
            provisions = [row["sen_provision"], *(row["provisions"] or [])]
            if not is_due(row["date_of_birth"], provisions, today, **rule):
                continue
            async with conn.transaction():
                done = await privacy.erase_pupil(
                    conn, row["pupil_id"], basis="retention", requested_by="retention-job",
                    role="system", reason="retention period ended",
                )  # fmt: skip
            erased += done is not None
    report = await run_shared(pool, "referral", rules, now)
    return {**report, "identities_erased": erased}


async def _every(app: FastAPI, rules: RetentionSettings) -> None:
    while True:
        await asyncio.sleep(rules.retention_interval_seconds)
        try:
            report = await run(app.state.runtime.pool, rules, datetime.now(UTC))
            log.info("retention job done", extra={"report": report})
        except Exception as exc:  # the next run tries again; the service stays up
            log.warning("retention job failed: %s", type(exc).__name__)


def scheduler(rules: RetentionSettings) -> APIRouter:
    """A router whose lifespan runs the job on its interval while the service runs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if rules.retention_interval_seconds > 0:
            task = asyncio.create_task(_every(app, rules))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    return APIRouter(lifespan=lifespan)
