"""HTTP request bodies of the outcomes API (api.md). Field names are the contract."""

from datetime import date
from uuid import UUID

from ap_schemas.codes import Progress, ReintegrationMode, ReviewOutcome, Urn
from ap_schemas.events import Attendance
from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReviewIn(Body):
    placement_id: UUID
    reviewed_on: date
    attendance: Attendance
    progress: Progress
    outcome: ReviewOutcome
    next_review_on: date | None = None


class ReintegrationIn(Body):
    pupil_id: UUID
    placement_id: UUID | None = None
    school_urn: Urn
    reintegrated_on: date
    mode: ReintegrationMode


class SustainmentIn(Body):
    checked_on: date
    sustained: bool


class DestinationIn(Body):
    pupil_id: UUID
    activity_code: int = Field(ge=100, le=999)
    confirmed_on: date
