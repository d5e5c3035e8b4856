"""The outcomes service's unit of work: one transaction, its repository and decided events."""

from typing import Protocol

import asyncpg
from ap_chassis.uow import EventContext, PgUnitOfWork
from ap_schemas.events import EventData

from .repository import OutcomesRepository, PgOutcomesRepository


class OutcomesWork(Protocol):
    """What a handler needs: the repository and somewhere to record events (PostgreSQL or the
    tests' in-memory fake)."""

    outcomes: OutcomesRepository

    def record(self, *datas: EventData) -> list[str]: ...


class OutcomesUnitOfWork(PgUnitOfWork):
    def __init__(self, conn: asyncpg.Connection, ctx: EventContext) -> None:
        super().__init__(conn, ctx)
        self.outcomes: OutcomesRepository = PgOutcomesRepository(conn)
