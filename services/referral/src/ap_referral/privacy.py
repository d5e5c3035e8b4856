"""Data protection use cases of the referral service: erasure of a pupil's identifying details.

The identity register is the only home of names, dates of birth, UPNs and addresses. Erasing a
pupil nulls every identifying column of the register row (the `pupil_id` row stays, pseudonymous,
so the journey keeps its key), nulls the values of the pupil's earlier `journey.identity` events in
the outbox (the durable log: a republish then sends tombstones), writes a tombstone for the pupil
to the outbox, and deletes stored idempotency answers that mention the pupil. Every holder of a
copy deletes it when the tombstone arrives (reporting: `ap_reporting.privacy`). The same function
serves an LA officer's request and the retention job.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
from ap_chassis.auth import Principal
from ap_chassis.bounds import FreeText as Text
from ap_chassis.erasure import append_tombstone, forget_answers, null_outbox_values
from ap_chassis.errors import NotFoundError
from ap_chassis.http import EventContext
from ap_schemas import topics
from pydantic import BaseModel, ConfigDict

from . import privacy_sql

Basis = Literal["request", "retention"]
# Values that identify a pupil; stored answers mentioning any of them are forgotten too.
IDENTIFYING = ("upn", "former_upn", "forename", "surname", "middle_names", "preferred_surname",
               "date_of_birth", "postcode")  # fmt: skip


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: Text


async def erase_pupil(
    conn: asyncpg.Connection,
    pupil_id: UUID,
    *,
    basis: Basis,
    requested_by: str,
    role: str,
    reason: str,
) -> dict[str, Any] | None:
    """Erase one pupil's identifying details here and publish the tombstone; None if unknown.

    Idempotent: erasing an erased pupil changes nothing but records the request and publishes
    the tombstone again (harmless downstream).
    """
    held = await privacy_sql.lock_register_row(conn, pupil_id)
    if held is None:
        return None
    erased_at: datetime = await privacy_sql.null_identity(conn, pupil_id)
    await privacy_sql.record_erasure(
        conn, pupil_id, basis=basis, requested_by=requested_by, role=role, reason=reason
    )
    key = str(pupil_id)
    await null_outbox_values(conn, topics.IDENTITY, key)
    tombstone = await append_tombstone(conn, topics.IDENTITY, key)
    await forget_answers(conn, [key, *_needles(held)])
    return {"pupil_id": key, "status": "erased", "erased_at": erased_at.isoformat(),
            "event_ids": [tombstone]}  # fmt: skip


def _needles(held: dict[str, Any]) -> list[str]:
    values = [held.get(k) for k in IDENTIFYING]
    return [str(v) for v in values if v is not None and len(str(v)) >= 3]


async def request_erasure(
    conn: asyncpg.Connection,
    *,
    pupil_id: UUID,
    cmd: ErasureIn,
    ctx: EventContext,
    principal: Principal,
) -> tuple[int, dict[str, Any]]:
    """`POST /v1/pupils/{pupil_id}/erasure`: 202 once the erasure and its tombstone commit."""
    answer = await erase_pupil(
        conn, pupil_id, basis="request", requested_by=principal.sub, role=principal.role,
        reason=cmd.reason,
    )  # fmt: skip
    if answer is None:
        raise NotFoundError(f"no pupil {pupil_id}")
    return 202, answer
