CREATE TABLE IF NOT EXISTS providers (
    provider_id   uuid PRIMARY KEY,
    name          text NOT NULL,
    urn           text,
    ukprn         text,
    setting_type  text,
    registered    boolean NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Replica of referral decisions, built from journey.referrals (never from referral's database).
CREATE TABLE IF NOT EXISTS referral_replica (
    referral_id    uuid PRIMARY KEY,
    pupil_id       uuid NOT NULL,
    status         text NOT NULL,
    reason         text,
    referrer_urn   text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per pupil seen, locked to serialise that pupil's writes.
CREATE TABLE IF NOT EXISTS pupils (
    pupil_id  uuid PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS placements (
    placement_id       uuid PRIMARY KEY,
    pupil_id           uuid NOT NULL REFERENCES pupils (pupil_id),
    referral_id        uuid NOT NULL,
    provider_id        uuid NOT NULL REFERENCES providers (provider_id),
    commissioner_kind  text NOT NULL,
    commissioner_urn   text,
    tier               smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
    start_date         date NOT NULL,
    planned_end_date   date,
    sessions_per_week  smallint NOT NULL CHECK (sessions_per_week BETWEEN 1 AND 10),
    cost_amount_pence  bigint NOT NULL CHECK (cost_amount_pence > 0),
    cost_per           text NOT NULL,
    annual_cost_pence  bigint NOT NULL,
    dual_registered    boolean NOT NULL,
    reason             text NOT NULL,
    end_date           date,
    end_reason         text,
    created_at         timestamptz NOT NULL DEFAULT now()
);
-- One open placement per pupil at a time, enforced by the database as well as the domain.
CREATE UNIQUE INDEX IF NOT EXISTS placements_one_open ON placements (pupil_id) WHERE end_date IS NULL;
