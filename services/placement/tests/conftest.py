"""The placement service's in-memory unit of work and repositories, for handler tests.

The fakes implement `ap_placement.repository`'s ports; test_placement_repository_contract.py
runs one set of tests against them and against PostgreSQL, so they cannot drift apart.
"""

import itertools
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from ap_chassis.uow import FakeUnitOfWork
from ap_placement.domain import Placement, Provider, ReferralFact
from ap_placement.provider_quality import Capacity, CheckRecord, Contract, Inspection

_SEQ = itertools.count(1)  # like provider_checks.seq: one sequence for every provider


class FakePlacements:
    def __init__(self) -> None:
        self.referrals: dict[UUID, ReferralFact] = {}
        self.rows: dict[UUID, Placement] = {}
        self.locked: list[UUID] = []

    async def record_referral(self, fact: ReferralFact) -> None:
        """What the referral replica consumer writes (repository.record_referral)."""
        self.referrals[fact.referral_id] = fact

    async def referral(self, referral_id: UUID) -> ReferralFact | None:
        return self.referrals.get(referral_id)

    async def lock_pupil(self, pupil_id: UUID) -> None:
        self.locked.append(pupil_id)

    async def get(self, placement_id: UUID) -> Placement | None:
        return self.rows.get(placement_id)

    async def open_placement(self, pupil_id: UUID) -> Placement | None:
        return next((p for p in self.rows.values() if p.pupil_id == pupil_id and p.is_open), None)

    async def add(self, placement: Placement) -> None:
        assert placement.placement_id not in self.rows
        self.rows[placement.placement_id] = placement

    async def save_end(self, placement: Placement) -> None:
        held = self.rows[placement.placement_id]
        self.rows[placement.placement_id] = replace(
            held, end_date=placement.end_date, end_reason=placement.end_reason
        )

    async def in_use(self, provider_id: UUID, *, tier: int, phase: str | None, on: date) -> int:
        return sum(
            1
            for p in self.rows.values()
            if p.provider_id == provider_id
            and p.tier == tier
            and (phase is None or p.phase == phase)
            and p.start_date <= on
            and (p.end_date is None or p.end_date >= on)
        )


class FakeProviders:
    def __init__(self) -> None:
        self.rows: dict[UUID, Provider] = {}
        self.check_rows: dict[UUID, list[CheckRecord]] = {}
        self.inspections: dict[UUID, dict[date, Inspection]] = {}
        self.capacity_rows: dict[UUID, dict[tuple[int, str, date], Capacity]] = {}
        self.contract_rows: dict[UUID, list[Contract]] = {}

    async def get(self, provider_id: UUID, *, for_update: bool = False) -> Provider | None:
        return self.rows.get(provider_id)

    async def all(self) -> list[Provider]:
        return sorted(self.rows.values(), key=lambda p: p.name)

    async def add(self, provider: Provider) -> None:
        assert provider.provider_id not in self.rows
        self.rows[provider.provider_id] = provider

    async def save_registration(self, provider: Provider) -> None:
        self.rows[provider.provider_id] = replace(
            self.rows[provider.provider_id],
            registered=provider.registered,
            urn=provider.urn,
            registration_changed_on=provider.registration_changed_on,
        )

    async def checks(self, provider_id: UUID) -> list[CheckRecord]:
        return list(self.check_rows.get(provider_id, []))

    async def add_check(self, provider_id: UUID, check: CheckRecord) -> None:
        self.check_rows.setdefault(provider_id, []).append(replace(check, seq=next(_SEQ)))

    async def latest_inspection(self, provider_id: UUID) -> Inspection | None:
        held = self.inspections.get(provider_id, {})
        return held[max(held)] if held else None

    async def save_inspection(self, provider_id: UUID, inspection: Inspection) -> None:
        self.inspections.setdefault(provider_id, {})[inspection.inspected_on] = inspection

    async def capacity(self, provider_id: UUID) -> list[Capacity]:
        held = self.capacity_rows.get(provider_id, {})
        return [held[k] for k in sorted(held)]

    async def save_capacity(self, provider_id: UUID, capacity: Capacity) -> None:
        key = (capacity.tier, capacity.phase, capacity.effective_from)
        self.capacity_rows.setdefault(provider_id, {})[key] = capacity

    async def contracts(self, provider_id: UUID) -> list[Contract]:
        return sorted(self.contract_rows.get(provider_id, []), key=lambda c: (c.tier, c.starts_on))

    async def add_contract(self, provider_id: UUID, contract: Contract) -> None:
        self.contract_rows.setdefault(provider_id, []).append(contract)


class FakePlacementUnitOfWork(FakeUnitOfWork):
    """PlacementUnitOfWork in memory: the same repositories' ports, events kept on commit.

    The repositories outlive a unit of work, as the database does: `fresh()` is the next
    command's unit of work over the same state.
    """

    def __init__(self, placements: Any = None, providers: Any = None) -> None:
        super().__init__()
        self.placements = placements or FakePlacements()
        self.providers = providers or FakeProviders()

    def fresh(self) -> "FakePlacementUnitOfWork":
        return FakePlacementUnitOfWork(self.placements, self.providers)


@pytest.fixture
def uow() -> FakePlacementUnitOfWork:
    return FakePlacementUnitOfWork()
