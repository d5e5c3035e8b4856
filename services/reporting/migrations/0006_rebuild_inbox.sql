-- Each read-model schema has its own inbox (same shape as the chassis's): a rebuild claims the
-- events it applies there, and after a switch the live consumers skip what the rebuild applied.
CREATE TABLE IF NOT EXISTS inbox (
    consumer    text NOT NULL,
    event_id    uuid NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
