"""HTTP request bodies of the outcomes API (api.md). Field names are the contract."""

from uuid import UUID

from ap_chassis.bounds import Day, Sessions
from ap_schemas.codes import Progress, ReintegrationMode, ReviewOutcome, Urn
from ap_schemas.events import Attendance
from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttendanceIn(Attendance):
    """The contract's attendance, with real upper bounds on the counts."""

    possible_sessions: Sessions
    attended_sessions: Sessions


class ReviewIn(Body):
    placement_id: UUID
    reviewed_on: Day
    attendance: AttendanceIn
    progress: Progress
    outcome: ReviewOutcome
    next_review_on: Day | None = None


class ReintegrationIn(Body):
    pupil_id: UUID
    placement_id: UUID | None = None
    school_urn: Urn
    reintegrated_on: Day
    mode: ReintegrationMode


class SustainmentIn(Body):
    checked_on: Day
    sustained: bool


class DestinationIn(Body):
    pupil_id: UUID
    activity_code: int = Field(ge=100, le=999)
    confirmed_on: Day
