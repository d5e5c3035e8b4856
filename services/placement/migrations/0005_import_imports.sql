-- Bulk imports: who imported what, when, the file's hash and counts. The file itself is
-- never stored: it is held in memory while it is processed and dropped afterwards.
CREATE TABLE IF NOT EXISTS imports (
    import_id      uuid PRIMARY KEY,
    principal      text NOT NULL,
    role           text NOT NULL,
    school_urn     text,
    layout         text NOT NULL,
    dry_run        boolean NOT NULL,
    file_sha256    text NOT NULL,
    file_bytes     bigint NOT NULL,
    file_format    text,
    status         text NOT NULL,
    rows           integer NOT NULL DEFAULT 0,
    validated      integer NOT NULL DEFAULT 0,
    applied        integer NOT NULL DEFAULT 0,
    unchanged      integer NOT NULL DEFAULT 0,
    refused        integer NOT NULL DEFAULT 0,
    awaiting       integer NOT NULL DEFAULT 0,
    steps_total    integer NOT NULL DEFAULT 0,
    steps_done     integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    applying_at    timestamptz,
    finished_at    timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS imports_principal ON imports (principal, created_at);

-- The row-by-row report: why a row was refused, or what applying it did (no cell values).
CREATE TABLE IF NOT EXISTS import_report (
    import_id  uuid NOT NULL REFERENCES imports (import_id),
    seq        integer NOT NULL,
    row        integer,
    field      text NOT NULL,
    message    text NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- Commands an import has had answered (per caller and Idempotency-Key): a re-import of the same
-- rows is recognised as unchanged without calling anything again.
CREATE TABLE IF NOT EXISTS import_commands (
    principal    text NOT NULL,
    key          text NOT NULL,
    status_code  integer NOT NULL,
    answer       jsonb NOT NULL,
    PRIMARY KEY (principal, key)
);
