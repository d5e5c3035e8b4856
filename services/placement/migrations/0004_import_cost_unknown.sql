-- A placement's cost may be unknown (the school census AP module carries none), never taken as free.
ALTER TABLE placements ALTER COLUMN cost_amount_pence DROP NOT NULL;
ALTER TABLE placements ALTER COLUMN cost_per DROP NOT NULL;
ALTER TABLE placements ALTER COLUMN annual_cost_pence DROP NOT NULL;
