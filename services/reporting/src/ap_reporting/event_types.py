"""The event types reporting reads, derived from the schema package's models.

Reporting compares stored events' types (in Python and in SQL): the strings come from here, each
from its model, so no event type is spelled by hand outside `schemas/`.
"""

from ap_schemas.events import (
    BY_MODEL,
    DestinationConfirmedV1,
    EventData,
    PlacementEndedV1,
    PlacementReviewedV1,
    PupilPlacedV1,
    PupilPlacedV2,
    PupilReferredV1,
    PupilReintegratedV1,
    ReferralDecidedV1,
    ReferralWithdrawnV1,
    SustainmentCheckedV1,
)


def type_of(model: type[EventData]) -> str:
    return BY_MODEL[model].type


def types_of(*models: type[EventData]) -> list[str]:
    """The event types of these models, for the SQL that filters stored events by type."""
    return [type_of(m) for m in models]


REFERRED = type_of(PupilReferredV1)
DECIDED = type_of(ReferralDecidedV1)
WITHDRAWN = type_of(ReferralWithdrawnV1)
PLACED = type_of(PupilPlacedV1)
PLACED_V2 = type_of(PupilPlacedV2)
ENDED = type_of(PlacementEndedV1)
REVIEWED = type_of(PlacementReviewedV1)
REINTEGRATED = type_of(PupilReintegratedV1)
CHECKED = type_of(SustainmentCheckedV1)
DESTINATION = type_of(DestinationConfirmedV1)
