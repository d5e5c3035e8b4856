-- School-arranged AP: the route of each referral heard of, and what a placement records of the
-- school's arrangement (notice given, off-site direction).
ALTER TABLE referral_replica ADD COLUMN IF NOT EXISTS route text NOT NULL DEFAULT 'la_arranged';
ALTER TABLE placements ADD COLUMN IF NOT EXISTS notice_given_on date;
ALTER TABLE placements ADD COLUMN IF NOT EXISTS off_site_direction boolean;
