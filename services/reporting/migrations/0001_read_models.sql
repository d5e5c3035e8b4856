-- Every journey event applied, as recorded: the audit timeline (no personal data).
CREATE TABLE IF NOT EXISTS journey_events (
    event_id     uuid PRIMARY KEY,
    pupil_id     uuid NOT NULL,
    type         text NOT NULL,
    occurred_at  date NOT NULL,
    recorded_at  timestamptz NOT NULL,
    source       text NOT NULL,
    data         jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS journey_events_pupil ON journey_events (pupil_id, occurred_at, event_id);

-- Each pupil's state, recomputed from all their events in business-time order.
CREATE TABLE IF NOT EXISTS pupil_state (
    pupil_id      uuid PRIMARY KEY,
    status        text,
    tier          smallint,
    school_urns   text[] NOT NULL DEFAULT '{}',
    provider_ids  text[] NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pupil_state_status ON pupil_state (status, tier);

-- Identifying details for statutory returns only (journey.identity); erased on a tombstone.
CREATE TABLE IF NOT EXISTS pupil_identity (
    pupil_id     uuid PRIMARY KEY,
    details      jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL
);

-- Providers, for names in reports.
CREATE TABLE IF NOT EXISTS providers (
    provider_id  uuid PRIMARY KEY,
    details      jsonb NOT NULL
);
