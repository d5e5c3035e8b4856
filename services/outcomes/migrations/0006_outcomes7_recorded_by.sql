-- Never written nor read: who may act on a reintegration follows from its placement (access.py).
ALTER TABLE reintegrations DROP COLUMN IF EXISTS recorded_by_urn;
