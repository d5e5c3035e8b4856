-- Every identity-to-pseudonym lookup and every read of identifying data at referral: who, when,
-- which pupil, why (the 201 of a referral maps a UPN to a pupil_id; subject access reads all).
CREATE TABLE IF NOT EXISTS identity_reads (
    id         bigserial PRIMARY KEY,
    read_at    timestamptz NOT NULL DEFAULT now(),
    reader     text NOT NULL,
    role       text NOT NULL,
    pupil_id   uuid NOT NULL,
    purpose    text NOT NULL
);
CREATE INDEX IF NOT EXISTS identity_reads_pupil ON identity_reads (pupil_id, read_at);
CREATE INDEX IF NOT EXISTS identity_reads_at ON identity_reads (read_at);
