"""What the referral service's write commands answer (docs/http-api.md). Field names and order
are the contract: each model dumps to exactly the JSON the API has always given."""

from typing import Literal

from pydantic import BaseModel

from .domain import Status


class ReferralResult(BaseModel):
    """A referral made, decided or withdrawn."""

    referral_id: str
    pupil_id: str
    status: Status
    event_ids: list[str]


class ReferralWithChange(ReferralResult):
    """A referral of a known pupil whose details differ from the register."""

    identity_change_id: str
    identity_change: Literal["proposed", "applied"]


class IdentityChangeApplied(BaseModel):
    change_id: str
    pupil_id: str
    status: Literal["applied"] = "applied"
    event_ids: list[str]


class ErasureResult(BaseModel):
    pupil_id: str
    status: Literal["erased"] = "erased"
    erased_at: str  # the register's timestamp as ISO text (+00:00, not Z)
    event_ids: list[str]
