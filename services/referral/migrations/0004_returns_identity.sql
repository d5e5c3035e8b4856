-- Items the AP census needs (docs/returns.md#ap-census): optional, carried on journey.identity.
ALTER TABLE pupils ADD COLUMN IF NOT EXISTS uln text;
ALTER TABLE pupils ADD COLUMN IF NOT EXISTS address_lines text[];
ALTER TABLE pupils ADD COLUMN IF NOT EXISTS uprn text;
ALTER TABLE pupils ADD COLUMN IF NOT EXISTS service_child boolean;
ALTER TABLE pupils ADD COLUMN IF NOT EXISTS fsm_periods jsonb;
