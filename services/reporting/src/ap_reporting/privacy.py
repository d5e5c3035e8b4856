"""Reporting's side of erasure: a `journey.identity` tombstone deletes the pupil's identity copy.

An erased pupil is remembered by pseudonymous id only (`erased_pupils`), so an identity event for
that pupil that arrives afterwards (a redelivery, a replay from offset 0 of a topic not yet
compacted) is skipped: after an erasure the census and every other return carry no identifying
data for the pupil. A re-referral of the same child after erasure gets a new `pupil_id` at the
referral service (the register no longer holds the UPN), so nothing legitimate is lost.
"""

from typing import Any
from uuid import UUID

import asyncpg
from ap_chassis.auth import Principal
from ap_chassis.consumer import Apply
from ap_chassis.data_protection import data_protection_routers
from ap_chassis.erasure import forget_answers, pupil_key
from ap_schemas.envelope import RawEvent
from ap_schemas.events import EventData, PupilEventData
from fastapi import APIRouter

from . import repository

IDENTIFYING = ("upn", "former_upn", "forename", "surname", "middle_names", "preferred_surname",
               "date_of_birth", "postcode")  # fmt: skip


async def forget_identity(conn: asyncpg.Connection, key: str) -> None:
    """The tombstone hook: delete the pupil's identity and any stored answer naming them."""
    pupil_id = pupil_key(key)
    if pupil_id is None:
        return  # not a pupil's key: nothing of it is held here
    await conn.execute(
        "INSERT INTO erased_pupils (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id
    )
    details: dict[str, Any] | None = await conn.fetchval(
        "DELETE FROM pupil_identity WHERE pupil_id = $1 RETURNING details", pupil_id
    )
    values = [str(details[k]) for k in IDENTIFYING if details and details.get(k)]
    await forget_answers(conn, [v for v in values if len(v) >= 3])


def unless_erased(apply: Apply) -> Apply:
    """Wrap an identity consumer so that it never records an erased pupil again."""

    async def guarded(conn: asyncpg.Connection, envelope: RawEvent, data: EventData) -> None:
        if isinstance(data, PupilEventData) and await conn.fetchval(
            "SELECT 1 FROM erased_pupils WHERE pupil_id = $1", data.pupil_id
        ):
            return
        await apply(conn, envelope, data)

    return guarded


async def record_held_data_read(
    conn: asyncpg.Connection, principal: Principal, pupil_id: UUID
) -> None:
    """A subject-access read of the pupil's identity copy is an identity read like any other."""
    if await conn.fetchval("SELECT 1 FROM pupil_identity WHERE pupil_id = $1", pupil_id):
        await repository.record_identity_reads(
            conn, reader=principal.sub, role=principal.role, pupil_ids=[pupil_id],
            purpose="subject access",
        )  # fmt: skip


def routers() -> list[APIRouter]:
    """Everything data protection adds to the reporting service, for its composition root."""
    return data_protection_routers("reporting", on_read=record_held_data_read, audit=True)
