"""Subject access: everything held about a pupil across the four services, in one document.

Design: services never read each other's databases, so each serves what it holds from its own
tables at `GET /v1/pupils/{pupil_id}/held-data` (LA officers only; `ap_chassis.held_data`), and
the referral service, the home of the identity register, fans out over HTTP to the configured
base URLs (`PLACEMENT_URL`, `OUTCOMES_URL`, `REPORTING_URL`) with the caller's own bearer token,
so each service checks the caller itself. The answer is complete or it is not given: a service
that does not answer makes it 503 with `Retry-After`. The read is recorded in referral's
`identity_reads` (purpose `subject access`) once the document is assembled; reporting records
its own read of its identity copy.

Tests mount the in-process apps through `app.state.held_data_mounts` (httpx mounts keyed by base
URL); production leaves it unset and uses the network.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from ap_chassis.auth import Principal
from ap_chassis.errors import NotFoundError
from ap_chassis.held_data import held_rows
from ap_chassis.problems import ProblemError
from fastapi import Request

from . import audit_sql

PURPOSE = "subject access"


def remote_services(settings: Any) -> dict[str, str]:
    return {
        "placement": settings.placement_url,
        "outcomes": settings.outcomes_url,
        "reporting": settings.reporting_url,
    }


async def _held_by(
    client: httpx.AsyncClient, service: str, base_url: str, pupil_id: UUID, auth: str
) -> dict[str, Any]:
    url = f"{base_url.rstrip('/')}/v1/pupils/{pupil_id}/held-data"
    try:
        answer = await client.get(url, headers={"Authorization": auth})
    except httpx.HTTPError:
        answer = None
    if answer is None or answer.status_code != 200:
        status = "no answer" if answer is None else f"status {answer.status_code}"
        raise ProblemError(
            503, "Service Unavailable",
            f"the {service} service did not give what it holds ({status}); try again",
            headers={"Retry-After": "5"},
        )  # fmt: skip
    tables: dict[str, Any] = answer.json()["tables"]
    return tables


async def gather(request: Request, principal: Principal, pupil_id: UUID) -> dict[str, Any]:
    pool = request.app.state.runtime.pool
    if not await pool.fetchval("SELECT 1 FROM pupils WHERE pupil_id = $1", pupil_id):
        raise NotFoundError(f"no pupil {pupil_id}")
    mounts = getattr(request.app.state, "held_data_mounts", None)
    auth = request.headers["authorization"]
    services = remote_services(request.app.state.settings)
    async with httpx.AsyncClient(mounts=mounts, timeout=10.0) as client:
        remote = await asyncio.gather(
            *(_held_by(client, name, url, pupil_id, auth) for name, url in services.items())
        )
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        local = await held_rows(conn, pupil_id)
        await audit_sql.record_read(conn, principal, pupil_id, PURPOSE)
    return {
        "pupil_id": str(pupil_id),
        "generated_at": datetime.now(UTC).isoformat(),
        "requested_by": {"sub": principal.sub, "role": principal.role},
        "held": {"referral": local, **dict(zip(services, remote, strict=True))},
    }
