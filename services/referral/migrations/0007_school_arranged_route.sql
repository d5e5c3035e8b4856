-- How the AP was arranged: la_arranged (the LA decides) or school_arranged (the school decides).
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS route text NOT NULL DEFAULT 'la_arranged';
