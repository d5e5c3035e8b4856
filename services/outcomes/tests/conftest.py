"""The outcomes service's test doubles: an in-memory repository and unit of work.

`FakeOutcomesRepository` implements `ap_outcomes.repository.OutcomesRepository`; the contract
suite (test_outcomes_repository_contract.py) runs the same tests on it and on PostgreSQL.
"""

from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest
from ap_chassis.uow import FakeUnitOfWork
from ap_outcomes.domain import Destination, PlacementFact, Reintegration, Review


class FakeOutcomesRepository:
    def __init__(self) -> None:
        self.known_pupils: set[UUID] = set()
        self.placements: dict[UUID, PlacementFact] = {}
        self.locked: list[UUID] = []
        self.reviews: dict[UUID, Review] = {}
        self.reintegrations: dict[UUID, Reintegration] = {}
        self.destinations: dict[UUID, Destination] = {}

    async def remember_pupil(self, pupil_id: UUID) -> None:
        self.known_pupils.add(pupil_id)

    async def pupil_known(self, pupil_id: UUID) -> bool:
        return pupil_id in self.known_pupils

    async def record_placement(self, placement: PlacementFact) -> None:
        before = self.placements.get(placement.placement_id) or replace(placement, end_date=None)
        self.placements[placement.placement_id] = replace(
            placement, pupil_id=before.pupil_id, end_date=before.end_date
        )

    async def record_placement_end(
        self, *, placement_id: UUID, pupil_id: UUID, end_date: date
    ) -> bool:
        known = self.placements.get(placement_id)
        if known is None or known.pupil_id != pupil_id:
            return False
        self.placements[placement_id] = replace(known, end_date=end_date)
        return True

    async def get_placement(self, placement_id: UUID) -> PlacementFact | None:
        return self.placements.get(placement_id)

    async def pupil_placements(self, pupil_id: UUID) -> list[PlacementFact]:
        return [p for p in self.placements.values() if p.pupil_id == pupil_id]

    async def lock_pupil(self, pupil_id: UUID) -> None:
        self.locked.append(pupil_id)

    async def add_review(self, review: Review) -> None:
        self.reviews[review.review_id] = review

    async def get_review(self, review_id: UUID) -> Review | None:
        return self.reviews.get(review_id)

    async def save_reintegration(self, reintegration: Reintegration) -> None:
        before = self.reintegrations.get(reintegration.reintegration_id)
        self.reintegrations[reintegration.reintegration_id] = (
            replace(before, checked_on=reintegration.checked_on, sustained=reintegration.sustained)
            if before
            else reintegration
        )

    async def get_reintegration(self, reintegration_id: UUID) -> Reintegration | None:
        return self.reintegrations.get(reintegration_id)

    async def add_destination(self, destination: Destination) -> None:
        self.destinations[destination.destination_id] = destination

    async def get_destination(self, destination_id: UUID) -> Destination | None:
        return self.destinations.get(destination_id)


class FakeOutcomesUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.outcomes = FakeOutcomesRepository()


@pytest.fixture
def uow() -> FakeOutcomesUnitOfWork:
    return FakeOutcomesUnitOfWork()
