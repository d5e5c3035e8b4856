"""Retention settings and the part of the retention job every service shares.

Each service's `retention.run(pool, rules, now)` does its own share (the referral service erases
identities whose retention ended) and expires idempotency keys older than
`idempotency_max_age_days`, returning counts of what it did. `now` is a parameter so the job runs
against a fixed clock in tests. `make retention` runs every service's job once
(`deploy/retention.py`); each service also runs its own every `retention_interval_seconds`
(`scheduler`).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class RetentionSettings(BaseSettings):
    """The LA's retention rule (general records to the 25th birthday; SEN files to date of birth
    + 31 years: docs/operations.md#retention-and-erasure) and the idempotency window. Each is an
    environment variable."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    retention_general_years: int = Field(default=25, ge=1, le=120)
    retention_sen_years: int = Field(default=31, ge=1, le=120)
    retention_sen_provision: str = Field(
        default="E,K", description="SEN provision codes whose files follow the SEN rule"
    )
    idempotency_max_age_days: float = Field(default=7, gt=0)
    retention_interval_seconds: float = Field(
        default=86_400, description="how often the referral service runs the job; 0 disables"
    )

    @property
    def sen_codes(self) -> frozenset[str]:
        """The SEN provision codes that extend retention, as a set."""
        return frozenset(c.strip() for c in self.retention_sen_provision.split(",") if c.strip())


async def expire_idempotency_keys(
    conn: asyncpg.Connection, rules: RetentionSettings, now: datetime
) -> int:
    """Delete idempotency keys (and their stored answers) older than the configured age."""
    status = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < $1",
        now - timedelta(days=rules.idempotency_max_age_days),
    )
    return int(str(status).rsplit(" ", 1)[-1])


async def run_shared(
    pool: asyncpg.Pool, service: str, rules: RetentionSettings, now: datetime
) -> dict[str, object]:
    """The job of a service with nothing of its own to erase: expire idempotency keys."""
    async with pool.acquire() as conn:
        expired = await expire_idempotency_keys(conn, rules, now)
    return {"service": service, "as_of": now.isoformat(), "idempotency_keys_expired": expired}


Job = Callable[[asyncpg.Pool, RetentionSettings, datetime], Awaitable[dict[str, Any]]]


def shared_job(service: str) -> Job:
    """The job of a service with nothing of its own to erase."""

    def job(pool: asyncpg.Pool, rules: RetentionSettings, now: datetime) -> Any:
        return run_shared(pool, service, rules, now)

    return job


async def _every(app: FastAPI, job: Job, rules: RetentionSettings) -> None:
    while True:
        await asyncio.sleep(rules.retention_interval_seconds)
        try:
            report = await job(app.state.runtime.pool, rules, datetime.now(UTC))
            log.info("retention job done", extra={"report": report})
        except Exception as exc:  # the next run tries again; the service stays up
            log.warning("retention job failed: %s", type(exc).__name__)


def scheduler(job: Job, rules: RetentionSettings) -> APIRouter:
    """A router whose lifespan runs `job` every `retention_interval_seconds` (0: never) while
    the service runs, after the service's own start-up (its pool exists by then)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if rules.retention_interval_seconds > 0:
            task = asyncio.create_task(_every(app, job, rules))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    return APIRouter(lifespan=lifespan)
