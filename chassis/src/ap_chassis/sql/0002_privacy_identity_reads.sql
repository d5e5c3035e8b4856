-- Every read of identifying data, and every identity-to-pseudonym lookup: who, when, which
-- pupil, why (docs/architecture.md#identity-and-privacy). Written by the services that hold identifying data (referral:
-- UPN lookups and subject access; reporting: returns and subject access) and served to auditors
-- by ap_chassis.audit; empty elsewhere.
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
