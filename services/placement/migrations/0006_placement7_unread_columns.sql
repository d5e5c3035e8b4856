-- Timestamps nothing ever read (no state is kept that nothing reads). providers.created_at stays:
-- the import orders look-ups by identifier with it.
ALTER TABLE referral_replica DROP COLUMN IF EXISTS updated_at;
ALTER TABLE placements DROP COLUMN IF EXISTS created_at;
ALTER TABLE provider_checks DROP COLUMN IF EXISTS recorded_at;
ALTER TABLE provider_inspections DROP COLUMN IF EXISTS recorded_at;
