-- Each pupil's placements as their events describe them, rebuilt with the pupil's state.
CREATE TABLE IF NOT EXISTS placement_facts (
    placement_id       uuid PRIMARY KEY,
    pupil_id           uuid NOT NULL,
    provider_id        text NOT NULL,
    commissioner       text NOT NULL,   -- 'local_authority' or 'school:<urn>'
    tier               smallint NOT NULL,
    start_date         date NOT NULL,
    end_date           date,
    annual_cost_pence  bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS placement_facts_pupil ON placement_facts (pupil_id);
CREATE INDEX IF NOT EXISTS placement_facts_dates ON placement_facts (start_date, end_date);
