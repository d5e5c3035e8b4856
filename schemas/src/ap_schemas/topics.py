"""Kafka topic names: the only place they are spelled."""

REFERRALS = "journey.referrals"
IDENTITY = "journey.identity"  # compacted, keyed by pupil_id; read only by reporting
PROVIDERS = "journey.providers"
PLACEMENTS = "journey.placements"
OUTCOMES = "journey.outcomes"
DEADLETTER = "journey.deadletter"

ALL = (REFERRALS, IDENTITY, PROVIDERS, PLACEMENTS, OUTCOMES, DEADLETTER)
COMPACTED = frozenset({IDENTITY})

# The one service that publishes on each topic: an event from any other `source` is refused.
OWNERS: dict[str, str] = {
    REFERRALS: "referral",
    IDENTITY: "referral",
    PROVIDERS: "placement",
    PLACEMENTS: "placement",
    OUTCOMES: "outcomes",
}
