"""Outcome rules: reviews, reintegrations and their sustainment, destinations. Pure.

Each `decide_*` checks a command against what this service knows and returns the new state with
the events that record it. The event is built from that state (`event_of`: every field the
event shares by name with the state), so what is saved and what is published cannot disagree;
the event's own fields are spelled once, in its model in `ap_schemas.events`.
"""

from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar
from uuid import UUID

from ap_chassis.errors import DomainError, InvalidCommandError, NotFoundError, NotYetKnownError
from ap_schemas.codes import (
    Progress,
    ReintegrationMode,
    ReviewOutcome,
    destination_group,
    destination_refusal,
)
from ap_schemas.events import (
    Attendance,
    DestinationConfirmedV1,
    EventData,
    PlacementReviewedV1,
    PupilReintegratedV1,
    SustainmentCheckedV1,
)

from .commands import CheckSustainment, ConfirmDestination, RecordReintegration, RecordReview

E = TypeVar("E", bound=EventData)


def event_of(event: type[E], state: object, *, occurred_at: date) -> E:
    """The event recording `state`: each of the event's fields taken from the state's field of
    the same name, and its business date."""
    fields = {name: getattr(state, name) for name in event.model_fields if hasattr(state, name)}
    return event(occurred_at=occurred_at, **fields)


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
        """Whether the placement had started and not yet ended on `day`."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True)
class Review:
    review_id: UUID
    placement_id: UUID
    pupil_id: UUID
    reviewed_on: date
    attendance: Attendance
    progress: Progress
    outcome: ReviewOutcome
    next_review_on: date | None = None


@dataclass(frozen=True)
class Reintegration:
    """A return to school and, once made, the check of whether it held."""

    reintegration_id: UUID
    pupil_id: UUID
    reintegrated_on: date
    school_urn: str
    mode: ReintegrationMode
    placement_id: UUID | None = None
    checked_on: date | None = None
    sustained: bool | None = None


@dataclass(frozen=True)
class Destination:
    destination_id: UUID
    pupil_id: UUID
    activity_code: int
    group: str
    confirmed_on: date


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
    """Refuse a sustainment check not after its reintegration (422)."""
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
    """Refuse a pupil not heard of here yet: 409 with a retry."""
    if not pupil_known:
        raise NotYetKnownError(
            f"pupil {pupil_id} is not known here yet; retry shortly", field="pupil_id"
        )


# decisions: (state, command) -> (new state, events) -------------------------------------


def decide_review(
    placement: PlacementFact | None, command: RecordReview, review_id: UUID
) -> tuple[Review, list[EventData]]:
    """The review and its event, once `check_review` holds for the placement."""
    counts = command.attendance
    known = check_review(
        placement,
        command.placement_id,
        reviewed_on=command.reviewed_on,
        possible_sessions=counts.possible_sessions,
        attended_sessions=counts.attended_sessions,
        next_review_on=command.next_review_on,
    )
    review = Review(
        review_id=review_id,
        placement_id=command.placement_id,
        pupil_id=known.pupil_id,
        reviewed_on=command.reviewed_on,
        attendance=Attendance(
            possible_sessions=counts.possible_sessions, attended_sessions=counts.attended_sessions
        ),
        progress=command.progress,
        outcome=command.outcome,
        next_review_on=command.next_review_on,
    )
    return review, [event_of(PlacementReviewedV1, review, occurred_at=review.reviewed_on)]


def decide_reintegration(
    placements: list[PlacementFact], command: RecordReintegration, reintegration_id: UUID
) -> tuple[Reintegration, list[EventData]]:
    """The reintegration and its event, once the pupil's placements allow it."""
    check_reintegration(
        placements,
        command.pupil_id,
        placement_id=command.placement_id,
        reintegrated_on=command.reintegrated_on,
    )
    done = Reintegration(
        reintegration_id=reintegration_id,
        pupil_id=command.pupil_id,
        reintegrated_on=command.reintegrated_on,
        school_urn=command.school_urn,
        placement_id=command.placement_id,
        mode=command.mode,
    )
    return done, [event_of(PupilReintegratedV1, done, occurred_at=done.reintegrated_on)]


def decide_sustainment(
    reintegration: Reintegration | None, command: CheckSustainment
) -> tuple[Reintegration, list[EventData]]:
    """A later check replaces an earlier one: the latest says whether the return held."""
    if reintegration is None:
        raise NotFoundError(f"no reintegration {command.reintegration_id}")
    check_sustainment(reintegration, checked_on=command.checked_on)
    checked = replace(reintegration, checked_on=command.checked_on, sustained=command.sustained)
    return checked, [event_of(SustainmentCheckedV1, checked, occurred_at=command.checked_on)]


def decide_destination(
    pupil_known: bool, command: ConfirmDestination, destination_id: UUID
) -> tuple[Destination, list[EventData]]:
    """A code outside the set is refused (422) before an unknown pupil (409, retry)."""
    group = destination_group_of(command.activity_code)
    check_destination(pupil_known, command.pupil_id)
    destination = Destination(
        destination_id=destination_id,
        pupil_id=command.pupil_id,
        activity_code=command.activity_code,
        group=group,
        confirmed_on=command.confirmed_on,
    )
    return destination, [
        event_of(DestinationConfirmedV1, destination, occurred_at=destination.confirmed_on)
    ]
