"""`make retention`: run every service's retention job once against its configured database.

Each service's database is found as the service finds it (`DATABASE_URL` + its own name), the
LA's rule and the idempotency window come from the environment (`RetentionSettings`), and the
report (counts only, never personal data) is printed as one JSON object per service.
`--now` runs against a fixed clock (an ISO date-time), for rehearsals and tests.
"""

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ap_chassis.db import create_pool, database_dsn
from ap_chassis.retention import Job, RetentionSettings, shared_job
from ap_chassis.settings import ServiceSettings

SERVICES = ("referral", "placement", "outcomes", "reporting")


def job_of(service: str) -> Job:
    """The service's own job: its `retention.run` where it has one, else the shared part."""
    try:
        module = __import__(f"ap_{service}.retention", fromlist=["run"])
    except ModuleNotFoundError:
        return shared_job(service)
    job: Job = module.run
    return job


def settings_of(service: str, **overrides: Any) -> ServiceSettings:
    module = __import__(f"ap_{service}.app", fromlist=["Settings"])
    settings: ServiceSettings = module.Settings(**overrides)
    return settings


async def run_all(
    now: datetime,
    rules: RetentionSettings,
    services: Sequence[str] = SERVICES,
    **overrides: Any,
) -> list[dict[str, Any]]:
    reports = []
    for service in services:
        settings = settings_of(service, **overrides)
        pool = await create_pool(database_dsn(settings.database_url, settings.db_name), max_size=2)
        try:
            reports.append(await job_of(service)(pool, rules, now))
        finally:
            await pool.close()
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--now", help="fixed clock, ISO date-time (default: now, UTC)")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    for report in asyncio.run(run_all(now, RetentionSettings())):
        print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
