-- A placement's cost may be unknown (journey.pupil.placed.v2).
ALTER TABLE placement_facts ALTER COLUMN annual_cost_pence DROP NOT NULL;
