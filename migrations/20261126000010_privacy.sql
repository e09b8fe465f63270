-- Data protection: caregivers a person has named (so their numbers are part of the
-- person's data, exported and erased with it). Same conventions as the first schema.
CREATE TABLE caregivers (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people (id),
    name       TEXT NOT NULL DEFAULT '',
    -- E.164.
    phone      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (person_id, phone)
);

-- The retention job looks for old tickets that still hold a voice message or transcript.
CREATE INDEX tickets_created ON tickets (created_at);
