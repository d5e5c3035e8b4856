ALTER TABLE placement_facts ADD COLUMN IF NOT EXISTS sessions_per_week smallint;
ALTER TABLE placement_facts ADD COLUMN IF NOT EXISTS reason text;
ALTER TABLE placement_facts ADD COLUMN IF NOT EXISTS home_school_urn text;

-- Every read of identifying data: who, when, which pupil, for what (architecture.md 9).
CREATE TABLE IF NOT EXISTS identity_reads (
    id         bigserial PRIMARY KEY,
    read_at    timestamptz NOT NULL DEFAULT now(),
    reader     text NOT NULL,
    role       text NOT NULL,
    pupil_id   uuid NOT NULL,
    purpose    text NOT NULL
);
CREATE INDEX IF NOT EXISTS identity_reads_pupil ON identity_reads (pupil_id, read_at);
