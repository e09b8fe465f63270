-- Transfers to a person: the number the call was put through to and how that went
-- (the provider's dial status: completed, busy, no-answer, failed; 'resumed' once the
-- caller came back to the hotline after a failed transfer).
ALTER TABLE calls ADD COLUMN transfer_to TEXT;
ALTER TABLE calls ADD COLUMN transfer_status TEXT;

-- One row per provider call: a replayed or duplicate media stream for a call cannot
-- start a second conversation (PostgreSQL and SQLite both allow many NULLs).
DROP INDEX calls_provider;
CREATE UNIQUE INDEX calls_provider ON calls (transport, provider_call_id);
