-- pupils.former_upn was never written (no request carries a former UPN) and never read: dead state.
ALTER TABLE pupils DROP COLUMN IF EXISTS former_upn;
