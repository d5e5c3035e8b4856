-- Issue 6: the serial number of each AP census file produced, per census date (header SerialNo).
CREATE TABLE IF NOT EXISTS census_serials (
    census_date  date PRIMARY KEY,
    serial_no    integer NOT NULL
);

-- Returns look up placed events by placement id (who pays, SEN at referral).
CREATE INDEX IF NOT EXISTS journey_events_placed_by_id
    ON journey_events ((data->>'placement_id')) WHERE type = 'journey.pupil.placed.v1';
