-- Read models live in schema rm_<generation> (the files of migrations/, applied per schema); this
-- row names the generation reads and the live consumers use (ap_reporting.generations).
CREATE TABLE IF NOT EXISTS read_model_active (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    generation  integer NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS read_model_generations;

-- Each rebuild asked for, and its progress (GET /v1/admin/rebuilds/{id}).
CREATE TABLE IF NOT EXISTS read_model_rebuilds (
    rebuild_id         uuid PRIMARY KEY,
    generation         integer NOT NULL,
    status             text NOT NULL,   -- running, switched, failed, abandoned
    requested_by       text NOT NULL,
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    events_applied     bigint NOT NULL DEFAULT 0,
    events_skipped     bigint NOT NULL DEFAULT 0,
    events_per_second  double precision NOT NULL DEFAULT 0,
    lag                bigint,
    eta_seconds        double precision,
    error              text
);

-- Every pooled connection enters the active generation: a shared advisory lock on it (released
-- by asyncpg's reset when the connection goes back to the pool) and the search path
-- `rm_<generation>, public`. A switch takes the lock exclusively, so it waits for in-flight work
-- and the old schema is dropped only once nobody is reading it.
CREATE OR REPLACE FUNCTION public.read_model_enter() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    gen integer;
    again integer;
BEGIN
    LOOP
        SELECT generation INTO gen FROM public.read_model_active;
        IF gen IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM pg_advisory_lock_shared(hashtext('ap_read_models'), gen);
        SELECT generation INTO again FROM public.read_model_active;
        IF again = gen THEN
            PERFORM set_config('search_path', 'rm_' || gen || ', public', false);
            RETURN 'rm_' || gen;
        END IF;
        PERFORM pg_advisory_unlock_shared(hashtext('ap_read_models'), gen);
    END LOOP;
END
$$;
