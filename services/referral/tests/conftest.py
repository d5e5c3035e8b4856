"""The referral service's in-memory unit of work: the repository ports held in dicts.

Each fake stores what the PostgreSQL repository would give back (fsm_periods as JSON, an erased
row's details as None), and `test_referral_repository_contract.py` runs the same tests on both,
so the fakes cannot drift from the real thing.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from ap_chassis.auth import Principal
from ap_chassis.uow import FakeUnitOfWork
from ap_referral.commands import ErasePupil
from ap_referral.domain import IDENTITY_FIELDS, IdentityChange, Pupil, Referral
from ap_referral.repository import Erased
from pydantic_core import to_jsonable_python


class FakeIdentityChanges:
    def __init__(self) -> None:
        self.rows: dict[UUID, IdentityChange] = {}

    async def get(self, pupil_id: UUID, change_id: UUID) -> IdentityChange | None:
        change = self.rows.get(change_id)
        return change if change is not None and change.pupil_id == pupil_id else None

    async def save(self, change: IdentityChange) -> None:
        self.rows[change.change_id] = change


class FakePupils:
    def __init__(self, changes: FakeIdentityChanges) -> None:
        self.rows: dict[UUID, Pupil] = {}
        self.erasures: list[tuple[ErasePupil, datetime]] = []
        self.locked: list[UUID] = []
        self._changes = changes

    @staticmethod
    def _stored(pupil: Pupil) -> Pupil:
        identity = {k: pupil.identity.get(k) for k in IDENTITY_FIELDS}
        identity["fsm_periods"] = to_jsonable_python(identity["fsm_periods"])
        return Pupil(pupil.pupil_id, pupil.upn, identity)

    async def by_upn(self, upn: str) -> Pupil | None:
        return next((p for p in self.rows.values() if p.upn == upn), None)

    async def by_id(self, pupil_id: UUID) -> Pupil | None:
        return self.rows.get(pupil_id)

    async def add(self, pupil: Pupil) -> bool:
        if any(p.upn == pupil.upn for p in self.rows.values()):
            return False  # the UPN is unique: a concurrent first sight won
        self.rows[pupil.pupil_id] = self._stored(pupil)
        return True

    async def save(self, pupil: Pupil) -> None:
        self.rows[pupil.pupil_id] = self._stored(pupil)

    async def lock(self, pupil_id: UUID) -> None:
        self.locked.append(pupil_id)

    async def erase(self, command: ErasePupil) -> Erased | None:
        pupil = self.rows.get(command.pupil_id)
        if pupil is None:
            return None
        first = next((at for c, at in self.erasures if c.pupil_id == command.pupil_id), None)
        erased_at = first or datetime.now(UTC)
        self.erasures.append((command, erased_at))
        self.rows[pupil.pupil_id] = Pupil(pupil.pupil_id, None, dict.fromkeys(IDENTITY_FIELDS))
        for change_id in [c.change_id for c in self._changes.rows.values()
                          if c.pupil_id == pupil.pupil_id]:  # fmt: skip
            del self._changes.rows[change_id]
        return Erased(erased_at, {"pupil_id": pupil.pupil_id, "upn": pupil.upn, **pupil.identity})


class FakeReferrals:
    def __init__(self) -> None:
        self.rows: dict[UUID, Referral] = {}

    async def get(self, referral_id: UUID) -> Referral | None:
        return self.rows.get(referral_id)

    async def save(self, referral: Referral) -> None:
        self.rows[referral.referral_id] = referral


class FakeIdentityReads:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, UUID, str]] = []

    async def record(self, principal: Principal, pupil_id: UUID, purpose: str) -> None:
        self.rows.append((principal.sub, principal.role, pupil_id, purpose))


class FakeReferralUnitOfWork(FakeUnitOfWork):
    """`ReferralUnitOfWork` in memory; `forgotten` holds what erasures forgot and tombstoned."""

    def __init__(self) -> None:
        super().__init__()
        self.identity_changes = FakeIdentityChanges()
        self.pupils = FakePupils(self.identity_changes)
        self.referrals = FakeReferrals()
        self.identity_reads = FakeIdentityReads()
        self.forgotten: list[tuple[str, list[str], str]] = []

    async def forget_published(self, pupil_key: str, needles: Iterable[str]) -> str:
        tombstone = str(uuid4())
        self.forgotten.append((pupil_key, list(needles), tombstone))
        return tombstone


@pytest.fixture
def uow() -> FakeReferralUnitOfWork:
    return FakeReferralUnitOfWork()


@pytest.fixture
def caller() -> Callable[..., Principal]:
    """A principal of `role`, a school's scoped by `urn`."""

    def make(role: str = "la_officer", urn: str | None = None) -> Principal:
        return Principal(sub=f"{role}-user", role=role, urn=urn)  # type: ignore[arg-type]

    return make
