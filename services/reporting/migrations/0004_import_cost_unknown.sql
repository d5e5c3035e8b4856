-- A placement's cost may be unknown (journey.pupil.placed.v2): issue 10.
ALTER TABLE placement_facts ALTER COLUMN annual_cost_pence DROP NOT NULL;
