-- census_serials (numbers already issued: reporting's own state) is in state/.

-- Returns look up placed events by placement id (who pays, SEN at referral).
CREATE INDEX IF NOT EXISTS journey_events_placed_by_id
    ON journey_events ((data->>'placement_id')) WHERE type = 'journey.pupil.placed.v1';
