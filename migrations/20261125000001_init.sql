-- First schema of Seniorentelefon. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Conventions: ids are TEXT (UUIDv7, sortable by creation; offices use a readable slug),
-- timestamps are TEXT in RFC 3339 UTC with milliseconds ("2026-11-25T09:30:00.000Z"),
-- which sort correctly as text; flags and counters are BIGINT.

CREATE TABLE offices (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    district      TEXT NOT NULL,
    phone         TEXT NOT NULL,
    email         TEXT,
    address       TEXT NOT NULL,
    opening_hours TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Which office serves which postcode: the routing table for tickets.
CREATE TABLE office_postcodes (
    postcode  TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices (id)
);

CREATE TABLE people (
    id                TEXT PRIMARY KEY,
    given_name        TEXT NOT NULL,
    family_name       TEXT NOT NULL,
    -- E.164, unique so caller ID identifies at most one person.
    phone             TEXT UNIQUE,
    street            TEXT,
    postcode          TEXT,
    city              TEXT,
    office_id         TEXT REFERENCES offices (id),
    mobility          TEXT NOT NULL DEFAULT '',
    pin_hash          TEXT,
    pin_failures      BIGINT NOT NULL DEFAULT 0,
    consent_recording BIGINT NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE calls (
    id               TEXT PRIMARY KEY,
    transport        TEXT NOT NULL,
    provider_call_id TEXT,
    caller           TEXT,
    called           TEXT,
    person_id        TEXT REFERENCES people (id),
    started_at       TEXT NOT NULL,
    ended_at         TEXT,
    -- Steps the caller went through, e.g. "main>callback>topic:pflege>number:caller>stored".
    path             TEXT NOT NULL DEFAULT '',
    outcome          TEXT
);
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_provider ON calls (transport, provider_call_id);

CREATE TABLE tickets (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('callback', 'ride', 'booking', 'digital_help', 'other')),
    office_id          TEXT NOT NULL REFERENCES offices (id),
    person_id          TEXT REFERENCES people (id),
    call_id            TEXT REFERENCES calls (id),
    topic              TEXT NOT NULL,
    callback_number    TEXT,
    postcode           TEXT,
    window_start       TEXT,
    window_end         TEXT,
    message_audio_path TEXT,
    transcript         TEXT,
    priority           BIGINT NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'waiting', 'closed')),
    assignee           TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX tickets_queue ON tickets (office_id, status, created_at);

-- Append-only history of a ticket: who did what when.
CREATE TABLE ticket_events (
    id        TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);

CREATE TABLE staff_users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('staff', 'ride_desk', 'coordinator', 'admin')),
    office_id     TEXT REFERENCES offices (id),
    active        BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
