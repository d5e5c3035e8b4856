"""The outcomes service's storage: a port the handlers use and its PostgreSQL implementation.

The module functions keep the replicas of other services' pupils and placements (the consumers
call them on their own connection); `PgOutcomesRepository` reads those and keeps this service's
own records, saved from domain state. Parameters are always bind parameters.
"""

from datetime import date
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from ap_schemas.events import Attendance

from .domain import Destination, PlacementFact, Reintegration, Review


async def remember_pupil(conn: asyncpg.Connection, pupil_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO known_pupils (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id
    )


async def record_placement(
    conn: asyncpg.Connection,
    *,
    placement_id: UUID,
    pupil_id: UUID,
    start_date: Any,
    provider_id: UUID | None,
    commissioner_urn: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO placement_replica"
        " (placement_id, pupil_id, start_date, provider_id, commissioner_urn)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (placement_id) DO UPDATE SET"
        " start_date = EXCLUDED.start_date, provider_id = EXCLUDED.provider_id,"
        " commissioner_urn = EXCLUDED.commissioner_urn",
        placement_id, pupil_id, start_date, provider_id, commissioner_urn,
    )  # fmt: skip


async def record_placement_end(
    conn: asyncpg.Connection, *, placement_id: UUID, pupil_id: UUID, end_date: Any
) -> bool:
    status = await conn.execute(
        "UPDATE placement_replica SET end_date = $2 WHERE placement_id = $1 AND pupil_id = $3",
        placement_id,
        end_date,
        pupil_id,
    )
    return str(status).endswith(" 1")


class OutcomesRepository(Protocol):
    """What the outcomes handlers load and save. The tests' in-memory fake implements it too,
    and one contract suite runs against both so the fake cannot drift."""

    async def remember_pupil(self, pupil_id: UUID) -> None: ...
    async def pupil_known(self, pupil_id: UUID) -> bool: ...
    async def record_placement(self, placement: PlacementFact) -> None:
        """Replicate a placement (again): its start, provider and commissioner; its pupil and
        end stay as first recorded."""

    async def record_placement_end(
        self, *, placement_id: UUID, pupil_id: UUID, end_date: date
    ) -> bool:
        """Whether that pupil's placement was known and now has its end."""

    async def get_placement(self, placement_id: UUID) -> PlacementFact | None: ...
    async def pupil_placements(self, pupil_id: UUID) -> list[PlacementFact]: ...
    async def lock_pupil(self, pupil_id: UUID) -> None:
        """Serialise one pupil's writes so their outbox rows commit in order."""

    async def add_review(self, review: Review) -> None: ...
    async def get_review(self, review_id: UUID) -> Review | None: ...
    async def save_reintegration(self, reintegration: Reintegration) -> None:
        """Insert it, or store its latest sustainment check."""

    async def get_reintegration(self, reintegration_id: UUID) -> Reintegration | None: ...
    async def add_destination(self, destination: Destination) -> None: ...
    async def get_destination(self, destination_id: UUID) -> Destination | None: ...


class PgOutcomesRepository:
    """`OutcomesRepository` on the unit of work's connection, inside its transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def remember_pupil(self, pupil_id: UUID) -> None:
        await remember_pupil(self.conn, pupil_id)

    async def pupil_known(self, pupil_id: UUID) -> bool:
        known = await self.conn.fetchval("SELECT 1 FROM known_pupils WHERE pupil_id = $1", pupil_id)
        return bool(known)

    async def record_placement(self, placement: PlacementFact) -> None:
        p = placement
        await record_placement(
            self.conn, placement_id=p.placement_id, pupil_id=p.pupil_id, start_date=p.start_date,
            provider_id=p.provider_id, commissioner_urn=p.commissioner_urn,
        )  # fmt: skip

    async def record_placement_end(
        self, *, placement_id: UUID, pupil_id: UUID, end_date: date
    ) -> bool:
        return await record_placement_end(
            self.conn, placement_id=placement_id, pupil_id=pupil_id, end_date=end_date
        )

    async def get_placement(self, placement_id: UUID) -> PlacementFact | None:
        row = await self.conn.fetchrow(
            "SELECT placement_id, pupil_id, start_date, end_date, provider_id, commissioner_urn"
            " FROM placement_replica WHERE placement_id = $1",
            placement_id,
        )
        return PlacementFact(**dict(row)) if row else None

    async def pupil_placements(self, pupil_id: UUID) -> list[PlacementFact]:
        rows = await self.conn.fetch(
            "SELECT placement_id, pupil_id, start_date, end_date, provider_id, commissioner_urn"
            " FROM placement_replica WHERE pupil_id = $1",
            pupil_id,
        )
        return [PlacementFact(**dict(r)) for r in rows]

    async def lock_pupil(self, pupil_id: UUID) -> None:
        await self.conn.execute(
            "INSERT INTO pupils (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id
        )
        await self.conn.execute("SELECT 1 FROM pupils WHERE pupil_id = $1 FOR UPDATE", pupil_id)

    async def add_review(self, review: Review) -> None:
        r, counts = review, review.attendance
        await self.conn.execute(
            "INSERT INTO reviews (review_id, placement_id, pupil_id, reviewed_on,"
            " possible_sessions, attended_sessions, progress, outcome, next_review_on)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            r.review_id, r.placement_id, r.pupil_id, r.reviewed_on, counts.possible_sessions,
            counts.attended_sessions, r.progress, r.outcome, r.next_review_on,
        )  # fmt: skip

    async def get_review(self, review_id: UUID) -> Review | None:
        row = await self.conn.fetchrow(
            "SELECT review_id, placement_id, pupil_id, reviewed_on, possible_sessions,"
            " attended_sessions, progress, outcome, next_review_on"
            " FROM reviews WHERE review_id = $1",
            review_id,
        )
        if row is None:
            return None
        fields = dict(row)
        attendance = Attendance(
            possible_sessions=fields.pop("possible_sessions"),
            attended_sessions=fields.pop("attended_sessions"),
        )
        return Review(**fields, attendance=attendance)

    async def save_reintegration(self, reintegration: Reintegration) -> None:
        r = reintegration
        await self.conn.execute(
            "INSERT INTO reintegrations (reintegration_id, pupil_id, reintegrated_on, school_urn,"
            " mode, placement_id, checked_on, sustained)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (reintegration_id)"
            " DO UPDATE SET checked_on = EXCLUDED.checked_on, sustained = EXCLUDED.sustained",
            r.reintegration_id, r.pupil_id, r.reintegrated_on, r.school_urn, r.mode,
            r.placement_id, r.checked_on, r.sustained,
        )  # fmt: skip

    async def get_reintegration(self, reintegration_id: UUID) -> Reintegration | None:
        row = await self.conn.fetchrow(
            "SELECT reintegration_id, pupil_id, reintegrated_on, school_urn, mode, placement_id,"
            " checked_on, sustained FROM reintegrations WHERE reintegration_id = $1",
            reintegration_id,
        )
        return Reintegration(**dict(row)) if row else None

    async def add_destination(self, destination: Destination) -> None:
        d = destination
        await self.conn.execute(
            "INSERT INTO destinations"
            " (destination_id, pupil_id, activity_code, activity_group, confirmed_on)"
            " VALUES ($1, $2, $3, $4, $5)",
            d.destination_id, d.pupil_id, d.activity_code, d.group, d.confirmed_on,
        )  # fmt: skip

    async def get_destination(self, destination_id: UUID) -> Destination | None:
        row = await self.conn.fetchrow(
            "SELECT destination_id, pupil_id, activity_code, activity_group, confirmed_on"
            " FROM destinations WHERE destination_id = $1",
            destination_id,
        )
        if row is None:
            return None
        fields = dict(row)
        group = fields.pop("activity_group")
        return Destination(**fields, group=group)
