-- The dashboard reads events by type (outcomes in a period, the clocks' events, dual registration).
CREATE INDEX IF NOT EXISTS journey_events_type_day ON journey_events (type, occurred_at);
