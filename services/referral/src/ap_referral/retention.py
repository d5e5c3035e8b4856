"""The referral service's retention job (scheduled by `ap_chassis.retention.scheduler`).

`run` erases the identifying details of every pupil whose retention ended (`retention_rule`),
each erasure exactly as an LA officer's (tombstone and all, basis `retention`), then expires old
idempotency keys, and returns counts.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
from ap_chassis.retention import RetentionSettings, run_shared
from ap_chassis.uow import EventContext
from ap_schemas.envelope import Actor

from . import handlers
from .commands import ErasePupil
from .retention_rule import anniversary, is_due
from .uow import ReferralUnitOfWork

JOB = "retention-job"


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
            command = ErasePupil(
                row["pupil_id"], "retention", requested_by=JOB, role="system",
                reason="retention period ended",
            )  # fmt: skip
            ctx = EventContext("referral", Actor(system="system", user_id=JOB), uuid4().hex)
            async with ReferralUnitOfWork(conn, ctx) as uow:
                await handlers.erase_pupil(uow, command)
                await uow.commit()
            erased += 1
    report = await run_shared(pool, "referral", rules, now)
    return {**report, "identities_erased": erased}
