"""What the outcomes service is asked to do, and what it answers: typed, validated at the edge.

The three create commands are the HTTP bodies as received (docs/http-api.md names their fields); a
sustainment check also carries the reintegration id from its path. Each result lists its fields
in the order of the JSON answer, which the contract fixes byte for byte.
"""

from uuid import UUID

from ap_chassis.bounds import Day, Sessions
from ap_schemas.codes import Progress, ReintegrationMode, ReviewOutcome, Urn
from ap_schemas.events import Attendance
from pydantic import BaseModel, ConfigDict, Field


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttendanceIn(Attendance):
    """The contract's attendance, with real upper bounds on the counts."""

    possible_sessions: Sessions
    attended_sessions: Sessions


class RecordReview(Command):
    placement_id: UUID
    reviewed_on: Day
    attendance: AttendanceIn
    progress: Progress
    outcome: ReviewOutcome
    next_review_on: Day | None = None


class RecordReintegration(Command):
    pupil_id: UUID
    placement_id: UUID | None = None
    school_urn: Urn
    reintegrated_on: Day
    mode: ReintegrationMode


class SustainmentIn(Command):
    """The body of a sustainment check; the reintegration it checks is named by the path."""

    checked_on: Day
    sustained: bool


class CheckSustainment(SustainmentIn):
    reintegration_id: UUID


class ConfirmDestination(Command):
    pupil_id: UUID
    activity_code: int = Field(ge=100, le=999)
    confirmed_on: Day


class Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReviewRecorded(Result):
    review_id: UUID
    pupil_id: UUID
    event_ids: list[str]


class ReintegrationRecorded(Result):
    reintegration_id: UUID
    pupil_id: UUID
    event_ids: list[str]


class SustainmentChecked(ReintegrationRecorded):
    sustained: bool


class DestinationConfirmed(Result):
    destination_id: UUID
    pupil_id: UUID
    event_ids: list[str]
    group: str
