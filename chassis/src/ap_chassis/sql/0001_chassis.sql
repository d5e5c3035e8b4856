-- Outbox: events written in the same transaction as the state change they describe.
CREATE TABLE IF NOT EXISTS outbox (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    topic       text NOT NULL,
    key         text NOT NULL,
    value       bytea,                       -- NULL is a tombstone (erasure on a compacted topic)
    headers     jsonb NOT NULL DEFAULT '{}', -- ce_type, content-type, W3C trace context
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- Inbox: every event a consumer applied, written with its effect (exactly-once effects).
CREATE TABLE IF NOT EXISTS inbox (
    consumer    text NOT NULL,
    event_id    uuid NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Idempotency keys: a retried command returns the first answer.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    principal     text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status_code   integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);
