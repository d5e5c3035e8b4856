"""The CloudEvents 1.0 structured-mode envelope of every journey event (docs/stream.md)."""

from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"
SCHEMA_BASE = "https://schemas.ap-journey.example/events/"

D = TypeVar("D", bound=BaseModel)


class Actor(BaseModel):
    """Who did it: a system and a user id, never a name."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    system: str = Field(min_length=1, max_length=100)
    user_id: str = Field(min_length=1, max_length=200)


class CloudEvent(BaseModel, Generic[D]):
    """A typed envelope. Unknown attributes are ignored so that extensions never break a reader."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: UUID
    source: str
    type: str
    time: AwareDatetime
    subject: str = Field(description="the pupil_id (the provider_id for provider events)")
    dataschema: str
    datacontenttype: Literal["application/json"] = "application/json"
    actor: Actor
    correlationid: str
    data: D


class RawEvent(BaseModel):
    """An envelope whose `data` is not yet validated against its type's model."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"]
    id: UUID
    source: str
    type: str
    time: AwareDatetime
    subject: str
    dataschema: str
    datacontenttype: Literal["application/json"] = "application/json"
    actor: Actor
    correlationid: str
    data: dict[str, Any]


def utcnow() -> datetime:
    return datetime.now(UTC)
