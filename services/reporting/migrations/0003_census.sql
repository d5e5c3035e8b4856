ALTER TABLE placement_facts ADD COLUMN IF NOT EXISTS sessions_per_week smallint;
ALTER TABLE placement_facts ADD COLUMN IF NOT EXISTS reason text;
ALTER TABLE placement_facts ADD COLUMN IF NOT EXISTS home_school_urn text;

-- identity_reads (reporting's own state, kept through rebuilds) is the chassis's, in public.
