-- Provider quality, capacity and contracts. Each row is also an event on journey.providers.
CREATE TABLE IF NOT EXISTS provider_checks (
    check_id     uuid PRIMARY KEY,
    seq          bigserial,
    provider_id  uuid NOT NULL REFERENCES providers (provider_id),
    check_name   text NOT NULL,
    checked_on   date NOT NULL,
    expires_on   date NOT NULL CHECK (expires_on >= checked_on),
    outcome      text NOT NULL,
    officer_id   text,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS provider_checks_provider ON provider_checks (provider_id);

CREATE TABLE IF NOT EXISTS provider_inspections (
    provider_id     uuid NOT NULL REFERENCES providers (provider_id),
    inspected_on    date NOT NULL,
    ofsted_urn      text,
    published_on    date,
    judgement       text NOT NULL,
    judgement_text  text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, inspected_on)
);

CREATE TABLE IF NOT EXISTS provider_capacity (
    provider_id     uuid NOT NULL REFERENCES providers (provider_id),
    tier            smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
    phase           text NOT NULL,
    effective_from  date NOT NULL,
    places          integer NOT NULL CHECK (places >= 0),
    PRIMARY KEY (provider_id, tier, phase, effective_from)
);

CREATE TABLE IF NOT EXISTS provider_contracts (
    contract_id   uuid PRIMARY KEY,
    provider_id   uuid NOT NULL REFERENCES providers (provider_id),
    tier          smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
    starts_on     date NOT NULL,
    ends_on       date NOT NULL CHECK (ends_on >= starts_on),
    amount_pence  bigint NOT NULL CHECK (amount_pence > 0),
    per           text NOT NULL
);
CREATE INDEX IF NOT EXISTS provider_contracts_provider ON provider_contracts (provider_id, tier);

-- The phase a placement was commissioned for, when the caller said (capacity is per tier and phase).
ALTER TABLE placements ADD COLUMN IF NOT EXISTS phase text;
