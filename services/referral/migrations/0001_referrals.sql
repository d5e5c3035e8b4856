-- The identity register: the only home of pupils' names, dates of birth, UPNs and addresses.
CREATE TABLE IF NOT EXISTS pupils (
    pupil_id           uuid PRIMARY KEY,
    upn                text NOT NULL UNIQUE,
    former_upn         text,
    forename           text NOT NULL,
    surname            text NOT NULL,
    middle_names       text,
    preferred_surname  text,
    date_of_birth      date NOT NULL,
    sex                text NOT NULL,
    ethnicity          text,
    fsm_eligible       boolean,
    postcode           text,
    sen_provision      text NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS referrals (
    referral_id        uuid PRIMARY KEY,
    pupil_id           uuid NOT NULL REFERENCES pupils (pupil_id),
    status             text NOT NULL CHECK (status IN ('received', 'accepted', 'declined', 'withdrawn')),
    referrer_kind      text NOT NULL,
    referrer_urn       text,
    reason             text NOT NULL,
    tier_requested     smallint NOT NULL CHECK (tier_requested BETWEEN 1 AND 3),
    referred_on        date NOT NULL,
    excluded_on        date,
    sen_provision      text NOT NULL,
    home_school_urn    text,
    decision           text,
    decided_on         date,
    decision_reason    text,
    withdrawn_on       date,
    withdrawal_reason  text,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS referrals_pupil ON referrals (pupil_id);
