-- The provider's own view of a call's end (status callback): completed, busy,
-- no-answer, failed, canceled; and the billed duration.
ALTER TABLE calls ADD COLUMN provider_status TEXT;
ALTER TABLE calls ADD COLUMN duration_secs BIGINT;
