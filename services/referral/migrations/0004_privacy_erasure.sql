-- Erasure (docs/architecture.md#erasure): the register keeps the pupil_id row, pseudonymous, with
-- every identifying column nulled; each erasure is recorded (who, when, why, on what basis).
ALTER TABLE pupils ADD COLUMN IF NOT EXISTS erased_at timestamptz;
ALTER TABLE pupils
    ALTER COLUMN upn DROP NOT NULL,
    ALTER COLUMN forename DROP NOT NULL,
    ALTER COLUMN surname DROP NOT NULL,
    ALTER COLUMN date_of_birth DROP NOT NULL,
    ALTER COLUMN sex DROP NOT NULL,
    ALTER COLUMN sen_provision DROP NOT NULL;

CREATE TABLE IF NOT EXISTS erasures (
    id            bigserial PRIMARY KEY,
    pupil_id      uuid NOT NULL REFERENCES pupils (pupil_id),
    basis         text NOT NULL CHECK (basis IN ('request', 'retention')),
    requested_by  text NOT NULL,
    role          text NOT NULL,
    reason        text NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS erasures_pupil ON erasures (pupil_id);
