-- The action list's sixth-day clock reads the pupils who were permanently excluded (and their
-- placements): a small partial index instead of every referral's JSON.
CREATE INDEX IF NOT EXISTS journey_events_exclusions ON journey_events (pupil_id)
    WHERE type = 'journey.pupil.referred.v1' AND data->>'reason' = 'permanent_exclusion';
