-- Each outcome event of a pupil with what the reports need already decided by the projection
-- (outcome_facts.py): the placement, provider and tier it counts for, a review's sessions and
-- whether it was on time, a reintegration's latest sustainment check, a destination's code (its
-- group is joined from the code table on read, so a correction of the code set regroups every
-- figure). Rebuilt with the pupil's state, so the arrival order of events does not matter.
CREATE TABLE IF NOT EXISTS outcome_facts (
    event_id           uuid PRIMARY KEY,
    pupil_id           uuid NOT NULL,
    kind               text NOT NULL,   -- review, reintegration, check, destination
    occurred_at        date NOT NULL,
    placement_id       uuid,            -- the placement it counts for (none: 'unknown')
    provider_id        text,
    tier               smallint,
    reintegration_id   text,
    possible_sessions  bigint,
    attended_sessions  bigint,
    on_time            boolean,         -- a review: within the interval and by the date set
    sustained          boolean,         -- a check: its answer; a reintegration: its latest check's
    activity_code      integer
);
CREATE INDEX IF NOT EXISTS outcome_facts_pupil ON outcome_facts (pupil_id);
CREATE INDEX IF NOT EXISTS outcome_facts_kind_day ON outcome_facts (kind, occurred_at);
