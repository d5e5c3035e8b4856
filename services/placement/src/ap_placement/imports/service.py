"""Run one import in the background: parse, validate every row, then apply the valid ones.

The file's bytes live only in this task's memory; what is kept is who, when, the file's SHA-256,
its size, the counts and the row-by-row report (no cell values). An import that stops half way
(a crash, a restart) is told apart from a whole one: its status is `failed`, and importing the
file again recognises every command already applied.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from ap_chassis.auth import Principal
from ap_chassis.batches import local_client
from ap_chassis.uow import EventContext
from ap_schemas.envelope import Actor
from fastapi import FastAPI

from . import layouts, repository
from .apply import Importer, Progress, steps_of
from .parse import FileRefusedError, parse
from .validate import Issue, Scope, validate

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.5
STALE_SECONDS = 120  # a running import not heard of for this long was interrupted


@dataclass(frozen=True)
class Job:
    import_id: UUID
    layout: str
    scope: Scope
    principal: Principal
    authorization: str
    dry_run: bool


def start(app: FastAPI, job: Job, data: bytes) -> None:
    """Run the import as a task of this process; keep a reference so it is not collected."""
    tasks: set[asyncio.Task[None]] | None = getattr(app.state, "import_tasks", None)
    if tasks is None:
        tasks = app.state.import_tasks = set()
    task = asyncio.create_task(run(app, job, data))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def run(app: FastAPI, job: Job, data: bytes) -> None:
    settings: Any = app.state.settings
    pool = app.state.runtime.pool
    progress = Progress()
    done = asyncio.Event()

    async def flush() -> None:
        while not done.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), FLUSH_SECONDS)
            with contextlib.suppress(Exception):
                await repository.update_import(pool, job.import_id, None, **progress.counts())

    ticker = asyncio.create_task(flush())
    status = "failed"
    try:
        await execute(app, job, data, progress, settings)
        status = "done"
    except FileRefusedError as exc:
        await repository.add_report(pool, job.import_id, [Issue(None, exc.field, str(exc))])
    except Exception:
        log.exception("import %s stopped", job.import_id)
        await repository.add_report(pool, job.import_id, [Issue(
            None, "import", "the import stopped on an internal error; import the file again"
            " (rows already applied are recognised)",
        )])  # fmt: skip
    finally:
        done.set()
        await ticker
        await repository.update_import(pool, job.import_id, status, **progress.counts())


async def execute(app: FastAPI, job: Job, data: bytes, progress: Progress, settings: Any) -> None:
    pool = app.state.runtime.pool
    sheet = await asyncio.to_thread(parse, data, max_rows=settings.import_max_rows)
    del data  # the file's contents are not kept
    layout = layouts.layout(job.layout)
    columns = layouts.match_headers(layout, sheet.headers)
    progress.rows = len(sheet.rows)

    def counted(n: int) -> None:
        progress.validated = n

    checked = await asyncio.to_thread(
        validate, layout, columns, sheet.rows, job.scope, on_row=counted
    )
    progress.refused = len(checked.refused)
    progress.steps_total = sum(steps_of(p) for p in checked.plans)
    await repository.add_report(pool, job.import_id, checked.issues)
    async with (
        local_client(app) as local,
        httpx.AsyncClient(
            base_url=settings.referral_base_url,
            transport=getattr(app.state, "referral_transport", None),
            timeout=30.0,
        ) as referral,
    ):
        importer = Importer(
            pool=pool, principal=job.principal, authorization=job.authorization, local=local,
            referral=referral, layout=job.layout, progress=progress,
            events=EventContext(
                source=settings.service_name,
                actor=Actor(system=job.principal.role, user_id=job.principal.sub),
                correlation_id=f"import-{job.import_id}",
            ),
            decision_wait_seconds=settings.import_decision_wait_seconds,
        )  # fmt: skip
        if job.dry_run:
            await importer.providers(checked.plans, dry_run=True)
            notes = [n for s in importer.states.values() for n in s.notes]
            await repository.add_report(pool, job.import_id, notes)
            return
        await repository.update_import(pool, job.import_id, "applying")
        report = await importer.run(checked.plans)
        progress.steps_done = progress.steps_total
        await repository.add_report(pool, job.import_id, report)


def shown_status(record: dict[str, Any], now: Any) -> str:
    """`failed` for a running import nobody has updated for STALE_SECONDS: it was interrupted."""
    status = str(record["status"])
    if status in ("validating", "applying") and (
        (now - record["updated_at"]).total_seconds() > STALE_SECONDS
    ):
        return "failed"
    return status
