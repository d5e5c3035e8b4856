"""The referral service's unit of work: one transaction, its repositories, and its outbox.

Handlers are typed against `UnitOfWorkPort` and reach the database only through it: here on
PostgreSQL, in the service's tests in memory (same attributes, same repository contract).
"""

from collections.abc import Iterable
from typing import Protocol

import asyncpg
from ap_chassis.erasure import append_tombstone, forget_answers, null_outbox_values
from ap_chassis.uow import EventContext, PgUnitOfWork
from ap_schemas import topics
from ap_schemas.events import EventData

from .repository import (
    IdentityChanges,
    IdentityReads,
    PgIdentityChanges,
    PgIdentityReads,
    PgPupils,
    PgReferrals,
    Pupils,
    Referrals,
)


class UnitOfWorkPort(Protocol):
    """What a referral handler may use: the repositories, `record`, and erasure's outbox work."""

    @property
    def pupils(self) -> Pupils: ...

    @property
    def referrals(self) -> Referrals: ...

    @property
    def identity_changes(self) -> IdentityChanges: ...

    @property
    def identity_reads(self) -> IdentityReads: ...

    def record(self, *datas: EventData) -> list[str]: ...

    async def forget_published(self, pupil_key: str, needles: Iterable[str]) -> str:
        """Erase what was published about a pupil: null its `journey.identity` values in the
        outbox (a republish sends tombstones), append its tombstone, and forget stored answers
        that mention any of `needles`. Returns the tombstone's id. It is written at once, so a
        handler using it records no events of its own."""


class ReferralUnitOfWork(PgUnitOfWork):
    """The port on PostgreSQL: a transaction on one pooled connection."""

    def __init__(self, conn: asyncpg.Connection, ctx: EventContext) -> None:
        super().__init__(conn, ctx)
        self.pupils = PgPupils(conn)
        self.referrals = PgReferrals(conn)
        self.identity_changes = PgIdentityChanges(conn)
        self.identity_reads = PgIdentityReads(conn)

    async def forget_published(self, pupil_key: str, needles: Iterable[str]) -> str:
        await null_outbox_values(self.conn, topics.IDENTITY, pupil_key)
        tombstone = await append_tombstone(self.conn, topics.IDENTITY, pupil_key)
        await forget_answers(self.conn, [pupil_key, *needles])
        return tombstone
