-- A caregiver's call is about the person they act for: once the PIN is right, the call's
-- person_id names that person and caregiver_id the caregiver (caller keeps the number
-- that rang). No foreign key, as on tickets: removing a caregiver must not rewrite or
-- block the history of what they did.
ALTER TABLE calls ADD COLUMN caregiver_id TEXT;
