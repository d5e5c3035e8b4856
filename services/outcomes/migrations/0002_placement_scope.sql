-- Who may record outcomes for a placement: its provider and its commissioning school.
ALTER TABLE placement_replica ADD COLUMN IF NOT EXISTS provider_id uuid;
ALTER TABLE placement_replica ADD COLUMN IF NOT EXISTS commissioner_urn text;
ALTER TABLE reintegrations ADD COLUMN IF NOT EXISTS recorded_by_urn text;
