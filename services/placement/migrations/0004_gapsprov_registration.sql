-- The date of the latest change of a provider's registration: a change dated
-- earlier than the one held is recorded as an event but does not replace the current state.
ALTER TABLE providers ADD COLUMN IF NOT EXISTS registration_changed_on date;
