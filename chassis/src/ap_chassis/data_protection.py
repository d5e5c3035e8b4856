"""The data-protection routes a service includes with one line in its composition root."""

from fastapi import APIRouter

from .audit import audit_router
from .held_data import OnRead, held_data_router
from .retention import Job, RetentionSettings, scheduler, shared_job


def data_protection_routers(
    service: str,
    *,
    on_read: OnRead | None = None,
    job: Job | None = None,
    rules: RetentionSettings | None = None,
    audit: bool = False,
) -> list[APIRouter]:
    """`held-data` (subject access), the retention schedule (the service's own `job`, else the
    shared one), and with `audit` the identity-read log (services holding identifying data)."""
    routers = [
        held_data_router(on_read),
        scheduler(job or shared_job(service), rules or RetentionSettings()),
    ]
    return [*routers, audit_router()] if audit else routers
