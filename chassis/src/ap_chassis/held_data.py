"""What one service holds about one pupil, from its own tables only (subject access).

Every table of the service's database with a `pupil_id` column is read for the pupil, so a table
added later is covered without a change here, and so is the outbox (rows keyed by the pupil).
Each service serves this at `GET /v1/pupils/{pupil_id}/held-data` for LA officers; the referral
service gathers the four answers into the subject-access document (services never read each
other's databases).
"""

import base64
import json
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Request

from .auth import Principal, require

OnRead = Callable[[asyncpg.Connection, Principal, UUID], Awaitable[None]]
"""Called in the reading transaction, e.g. to record an identity read."""
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _json(value: Any) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw).decode()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


async def held_rows(conn: asyncpg.Connection, pupil_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """{table: [row, ...]} for every table with a `pupil_id` column that holds the pupil."""
    tables = await conn.fetch(
        "SELECT DISTINCT c.table_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = ANY (current_schemas(false)) AND c.column_name = 'pupil_id'"
        " AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
    )
    held: dict[str, list[dict[str, Any]]] = {}
    for t in tables:
        name = t["table_name"]
        if not _NAME.match(name):
            continue
        rows = await conn.fetch(f'SELECT * FROM "{name}" WHERE pupil_id = $1', pupil_id)  # noqa: S608
        if rows:
            held[name] = [{k: _json(v) for k, v in r.items()} for r in rows]
    events = await conn.fetch(
        "SELECT event_id, topic, created_at, sent_at, value FROM outbox WHERE key = $1 ORDER BY id",
        str(pupil_id),
    )
    if events:  # the service's durable log of what it published about the pupil
        held["outbox"] = [{**{k: _json(v) for k, v in e.items()}, "value": _event(e["value"])}
                          for e in events]  # fmt: skip
    return held


def _event(value: bytes | None) -> Any:
    """An outbox value as the event it is (None for a tombstone or an erased value)."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return _json(value)


def held_data_router(on_read: OnRead | None = None) -> APIRouter:
    """The route serving this service's part of a pupil's subject access."""
    router = APIRouter(prefix="/v1/pupils", tags=["data protection"])

    @router.get("/{pupil_id}/held-data")
    async def held_data(
        pupil_id: UUID,
        request: Request,
        principal: Annotated[Principal, Depends(require("la_officer"))],
    ) -> dict[str, Any]:
        """Everything this service holds about the pupil (internal: for subject access)."""
        settings = request.app.state.settings
        # one snapshot for every table, so the answer is consistent with itself
        pool = request.app.state.runtime.pool
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            tables = await held_rows(conn, pupil_id)
            if on_read is not None and tables:
                await on_read(conn, principal, pupil_id)
        return {"service": settings.service_name, "pupil_id": str(pupil_id), "tables": tables}

    return router
