-- School-arranged AP: when the arranging school gave notice, and whether it was late (fewer
-- than 2 school days before the start; ap_schemas.calendar.notice_late), decided once in the
-- projection (placement_facts.py). The action list flags an open placement whose notice was late.
-- A generation that already holds events rebuilds by itself when this is applied
-- (generations.prepare), so the flag is filled for placements recorded before.
ALTER TABLE placement_facts
  ADD COLUMN IF NOT EXISTS notice_given_on date,
  ADD COLUMN IF NOT EXISTS notice_late boolean NOT NULL DEFAULT false;
