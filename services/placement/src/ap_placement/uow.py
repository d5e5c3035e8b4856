"""The placement service's unit of work: one transaction, its repositories, the outbox."""

import asyncpg
from ap_chassis.uow import EventContext, PgUnitOfWork

from .repository import PgPlacements, PgProviders, Placements, Providers


class PlacementUnitOfWork(PgUnitOfWork):
    """What a placement handler loads and saves through, in the command's transaction."""

    placements: Placements
    providers: Providers

    def __init__(self, conn: asyncpg.Connection, ctx: EventContext) -> None:
        super().__init__(conn, ctx)
        self.placements = PgPlacements(conn)
        self.providers = PgProviders(conn)
