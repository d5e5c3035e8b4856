-- Proposed changes to a known pupil's identity (a later referral with different details).
-- Nothing here is applied until an LA officer applies it; old and new values stay as history.
CREATE TABLE IF NOT EXISTS identity_changes (
    change_id     uuid PRIMARY KEY,
    pupil_id      uuid NOT NULL REFERENCES pupils (pupil_id),
    referral_id   uuid,
    proposed_by   text NOT NULL,          -- role:tenant:subject, never a name
    proposed_at   timestamptz NOT NULL DEFAULT now(),
    old_values    jsonb NOT NULL,         -- only the fields that differ
    new_values    jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('proposed', 'applied')),
    applied_by    text,
    applied_at    timestamptz
);
CREATE INDEX IF NOT EXISTS identity_changes_pupil ON identity_changes (pupil_id, proposed_at);
