-- For the AP census: state AP providers (out of the AP census) and who pays for a placement.
ALTER TABLE providers ADD COLUMN IF NOT EXISTS state_ap boolean NOT NULL DEFAULT false;
ALTER TABLE placements ADD COLUMN IF NOT EXISTS funded_by text;
