-- Replicas built from other services' events (never from their databases).
CREATE TABLE IF NOT EXISTS known_pupils (        -- from journey.referrals
    pupil_id  uuid PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS placement_replica (   -- from journey.placements
    placement_id  uuid PRIMARY KEY,
    pupil_id      uuid NOT NULL,
    start_date    date NOT NULL,
    end_date      date
);
CREATE INDEX IF NOT EXISTS placement_replica_pupil ON placement_replica (pupil_id);

-- One row per pupil this service wrote for, locked to serialise that pupil's writes.
CREATE TABLE IF NOT EXISTS pupils (
    pupil_id  uuid PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS reviews (
    review_id          uuid PRIMARY KEY,
    placement_id       uuid NOT NULL,
    pupil_id           uuid NOT NULL,
    reviewed_on        date NOT NULL,
    possible_sessions  integer NOT NULL CHECK (possible_sessions >= 0),
    attended_sessions  integer NOT NULL CHECK (attended_sessions BETWEEN 0 AND possible_sessions),
    progress           text NOT NULL,
    outcome            text NOT NULL,
    next_review_on     date
);

CREATE TABLE IF NOT EXISTS reintegrations (
    reintegration_id  uuid PRIMARY KEY,
    pupil_id          uuid NOT NULL,
    placement_id      uuid,
    school_urn        text NOT NULL,
    reintegrated_on   date NOT NULL,
    mode              text NOT NULL,
    checked_on        date,
    sustained         boolean
);

CREATE TABLE IF NOT EXISTS destinations (
    destination_id  uuid PRIMARY KEY,
    pupil_id        uuid NOT NULL,
    activity_code   integer NOT NULL,
    activity_group  text NOT NULL,
    confirmed_on    date NOT NULL
);
