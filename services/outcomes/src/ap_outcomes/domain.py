"""Outcome rules: reviews, reintegrations and their sustainment, destinations. Pure."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ap_chassis.errors import DomainError, InvalidCommandError, NotYetKnownError
from ap_schemas.codes import destination_group, destination_refusal


@dataclass(frozen=True)
class PlacementFact:
    """What outcomes knows of a placement, from journey.placements."""

    placement_id: UUID
    pupil_id: UUID
    start_date: date
    end_date: date | None
    provider_id: UUID | None = None
    commissioner_urn: str | None = None

    def open_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True)
class Reintegration:
    reintegration_id: UUID
    pupil_id: UUID
    reintegrated_on: date
    school_urn: str
    placement_id: UUID | None = None


def check_review(
    placement: PlacementFact | None,
    placement_id: UUID,
    *,
    reviewed_on: date,
    possible_sessions: int,
    attended_sessions: int,
    next_review_on: date | None = None,
) -> PlacementFact:
    """A review needs a known placement open on the review date, and attended <= possible."""
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise InvalidCommandError(
            "next_review_on must be after reviewed_on", field="next_review_on"
        )
    if attended_sessions > possible_sessions:
        raise InvalidCommandError(
            "attended_sessions cannot exceed possible_sessions",
            field="attendance.attended_sessions",
        )
    if placement is None:
        raise NotYetKnownError(
            f"placement {placement_id} is not known here yet; retry shortly", field="placement_id"
        )
    if not placement.open_on(reviewed_on):
        raise DomainError(
            f"placement {placement_id} is not open on {reviewed_on}", field="reviewed_on"
        )
    return placement


def check_reintegration(
    placements: list[PlacementFact],
    pupil_id: UUID,
    *,
    placement_id: UUID | None,
    reintegrated_on: date,
) -> None:
    """A reintegration needs a pupil who was placed (with that placement, when one is named)."""
    if not placements:
        raise NotYetKnownError(
            f"no placement of pupil {pupil_id} is known here yet; retry shortly",
            field="pupil_id",
        )
    if placement_id is not None:
        named = next((p for p in placements if p.placement_id == placement_id), None)
        if named is None:
            raise NotYetKnownError(
                f"placement {placement_id} of this pupil is not known here yet",
                field="placement_id",
            )
        if reintegrated_on < named.start_date:
            raise InvalidCommandError(
                "reintegrated_on cannot be before the placement started", field="reintegrated_on"
            )


def check_sustainment(reintegration: Reintegration, *, checked_on: date) -> None:
    if checked_on <= reintegration.reintegrated_on:
        raise InvalidCommandError(
            "a sustainment check comes after its reintegration", field="checked_on"
        )


def destination_group_of(activity_code: int) -> str:
    """The code's reporting group; a pre-16 status or a code outside the set is refused."""
    refusal = destination_refusal(activity_code)
    group = destination_group(activity_code)
    if refusal is not None or group is None:
        raise InvalidCommandError(
            refusal or f"{activity_code} has no reporting group", field="activity_code"
        )
    return group


def check_destination(pupil_known: bool, pupil_id: UUID) -> None:
    if not pupil_known:
        raise NotYetKnownError(
            f"pupil {pupil_id} is not known here yet; retry shortly", field="pupil_id"
        )
