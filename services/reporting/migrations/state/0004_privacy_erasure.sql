-- Pupils whose identifying details were erased (a journey.identity tombstone arrived): the
-- pseudonymous id only, so a late or replayed identity event for them is never recorded again.
CREATE TABLE IF NOT EXISTS erased_pupils (
    pupil_id   uuid PRIMARY KEY,
    erased_at  timestamptz NOT NULL DEFAULT now()
);
