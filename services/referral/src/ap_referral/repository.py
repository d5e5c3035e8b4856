"""The referral service's repositories: ports (Protocols) and their PostgreSQL implementations.

Handlers see only the ports, through the unit of work (`uow.py`); the in-memory fakes in the
service's tests implement the same ports and pass the same contract suite. Every save writes from
domain state. Reads for a write lock the row (FOR UPDATE), so one pupil's writes are serialised
and their outbox rows commit in order. Parameters are always bind parameters.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from ap_chassis.auth import Principal
from pydantic_core import to_jsonable_python

from . import audit_sql, privacy_sql
from .commands import ErasePupil
from .domain import IDENTITY_FIELDS, IdentityChange, Pupil, Referral


@dataclass(frozen=True)
class Erased:
    """An erasure done: when the pupil was (first) erased and the register row it erased."""

    erased_at: datetime
    held: dict[str, Any]


class Pupils(Protocol):
    """The identity register."""

    async def by_upn(self, upn: str) -> Pupil | None:
        """The pupil of this UPN, locked for the rest of the unit of work, or None."""

    async def by_id(self, pupil_id: UUID) -> Pupil | None:
        """The pupil, locked for the rest of the unit of work, or None."""

    async def add(self, pupil: Pupil) -> bool:
        """Register a pupil first seen; False when a concurrent first sight of its UPN won."""

    async def save(self, pupil: Pupil) -> None:
        """Write the pupil's identifying details."""

    async def lock(self, pupil_id: UUID) -> None:
        """Serialise the pupil's writes until the unit of work ends."""

    async def erase(self, command: ErasePupil) -> Erased | None:
        """Null every identifying detail held for the pupil (its proposed identity changes
        too) and record the erasure; None when there is no such pupil."""


class Referrals(Protocol):
    async def get(self, referral_id: UUID) -> Referral | None: ...

    async def save(self, referral: Referral) -> None: ...


class IdentityChanges(Protocol):
    async def get(self, pupil_id: UUID, change_id: UUID) -> IdentityChange | None:
        """The pupil's change, locked for the rest of the unit of work, or None."""

    async def save(self, change: IdentityChange) -> None: ...


class IdentityReads(Protocol):
    """The identity-read log: who mapped identity to a pupil_id, or read it, and why."""

    async def record(self, principal: Principal, pupil_id: UUID, purpose: str) -> None: ...


def _column(key: str, value: Any) -> Any:
    """fsm_periods is jsonb: its dates as ISO text."""
    return to_jsonable_python(value) if key == "fsm_periods" else value


_COLUMNS = ", ".join(IDENTITY_FIELDS)


class PgPupils:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def _where(self, column: str, value: Any) -> Pupil | None:
        row = await self.conn.fetchrow(
            f"SELECT pupil_id, upn, {_COLUMNS} FROM pupils WHERE {column} = $1 FOR UPDATE",  # noqa: S608
            value,
        )
        if row is None:
            return None
        return Pupil(row["pupil_id"], row["upn"], {k: row[k] for k in IDENTITY_FIELDS})

    async def by_upn(self, upn: str) -> Pupil | None:
        return await self._where("upn", upn)

    async def by_id(self, pupil_id: UUID) -> Pupil | None:
        return await self._where("pupil_id", pupil_id)

    async def add(self, pupil: Pupil) -> bool:
        params = ", ".join(f"${i}" for i in range(3, 3 + len(IDENTITY_FIELDS)))
        added = await self.conn.fetchval(
            f"INSERT INTO pupils (pupil_id, upn, {_COLUMNS}) VALUES ($1, $2, {params})"  # noqa: S608
            " ON CONFLICT (upn) DO NOTHING RETURNING true",
            pupil.pupil_id,
            pupil.upn,
            *(_column(k, pupil.identity.get(k)) for k in IDENTITY_FIELDS),
        )
        return bool(added)

    async def save(self, pupil: Pupil) -> None:
        sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(IDENTITY_FIELDS, start=2))
        await self.conn.execute(
            f"UPDATE pupils SET {sets}, updated_at = now() WHERE pupil_id = $1",  # noqa: S608
            pupil.pupil_id,
            *(_column(k, pupil.identity.get(k)) for k in IDENTITY_FIELDS),
        )

    async def lock(self, pupil_id: UUID) -> None:
        await self.conn.execute("SELECT 1 FROM pupils WHERE pupil_id = $1 FOR UPDATE", pupil_id)

    async def erase(self, command: ErasePupil) -> Erased | None:
        held = await privacy_sql.lock_register_row(self.conn, command.pupil_id)
        if held is None:
            return None
        erased_at = await privacy_sql.null_identity(self.conn, command.pupil_id)
        await privacy_sql.record_erasure(
            self.conn, command.pupil_id, basis=command.basis, requested_by=command.requested_by,
            role=command.role, reason=command.reason,
        )  # fmt: skip
        return Erased(erased_at, held)


_REFERRAL = (
    "referral_id", "pupil_id", "status", "referrer_kind", "referrer_urn", "reason",
    "tier_requested", "referred_on", "excluded_on", "sen_provision", "home_school_urn",
    "decision", "decided_on", "decision_reason", "withdrawn_on", "withdrawal_reason", "route",
)  # fmt: skip
# What a referral's later commands change; the rest is fixed when it is made.
_REFERRAL_CHANGES = ("status", "decision", "decided_on", "decision_reason", "withdrawn_on",
                     "withdrawal_reason")  # fmt: skip


class PgReferrals:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, referral_id: UUID) -> Referral | None:
        row = await self.conn.fetchrow(
            f"SELECT {', '.join(_REFERRAL)} FROM referrals WHERE referral_id = $1",  # noqa: S608
            referral_id,
        )
        return Referral(**dict(row)) if row else None

    async def save(self, referral: Referral) -> None:
        params = ", ".join(f"${i}" for i in range(1, 1 + len(_REFERRAL)))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _REFERRAL_CHANGES)
        await self.conn.execute(
            f"INSERT INTO referrals ({', '.join(_REFERRAL)}) VALUES ({params})"  # noqa: S608
            f" ON CONFLICT (referral_id) DO UPDATE SET {updates}",
            *(getattr(referral, c) for c in _REFERRAL),
        )


class PgIdentityChanges:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, pupil_id: UUID, change_id: UUID) -> IdentityChange | None:
        row = await self.conn.fetchrow(
            "SELECT change_id, pupil_id, referral_id, proposed_by, old_values, new_values,"
            " status, applied_by FROM identity_changes"
            " WHERE pupil_id = $1 AND change_id = $2 FOR UPDATE",
            pupil_id,
            change_id,
        )
        if row is None:
            return None
        return IdentityChange(
            row["change_id"], row["pupil_id"], row["referral_id"], row["proposed_by"],
            row["old_values"], row["new_values"], row["status"], row["applied_by"],
        )  # fmt: skip

    async def save(self, change: IdentityChange) -> None:
        """Proposed or applied; `applied_at` is when it was first saved as applied."""
        await self.conn.execute(
            "INSERT INTO identity_changes (change_id, pupil_id, referral_id, proposed_by,"
            " old_values, new_values, status, applied_by, applied_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 = 'applied' THEN now() END)"
            " ON CONFLICT (change_id) DO UPDATE SET status = EXCLUDED.status,"
            " applied_by = EXCLUDED.applied_by,"
            " applied_at = COALESCE(identity_changes.applied_at, EXCLUDED.applied_at)",
            change.change_id, change.pupil_id, change.referral_id, change.proposed_by,
            change.old, change.new, change.status, change.applied_by,
        )  # fmt: skip


class PgIdentityReads:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def record(self, principal: Principal, pupil_id: UUID, purpose: str) -> None:
        await audit_sql.record_read(self.conn, principal, pupil_id, purpose)


_CHANGES = (
    "SELECT change_id, pupil_id, referral_id, proposed_at, old_values, new_values, status,"
    " applied_at FROM identity_changes WHERE pupil_id = $1 ORDER BY proposed_at, change_id"
)


async def identity_changes(conn: asyncpg.Connection, pupil_id: UUID) -> list[asyncpg.Record]:
    """Every change of the pupil's identity, oldest first (the review list)."""
    rows: list[asyncpg.Record] = await conn.fetch(_CHANGES, pupil_id)
    return rows
