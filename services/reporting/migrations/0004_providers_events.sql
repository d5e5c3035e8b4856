-- Every journey.providers event applied: provider profiles, capacity and flags are
-- recomputed from these, so an event about a provider not registered here yet is held, not lost.
CREATE TABLE IF NOT EXISTS provider_events (
    event_id     uuid PRIMARY KEY,
    provider_id  uuid NOT NULL,
    type         text NOT NULL,
    occurred_at  date NOT NULL,
    recorded_at  timestamptz NOT NULL,
    data         jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS provider_events_provider ON provider_events (provider_id, occurred_at);
