-- Staff workspace: browser sessions, login attempts for rate limiting, and the audit log.
-- Same conventions as the first schema (TEXT ids, RFC 3339 UTC timestamps as TEXT).
-- Notes and call-back attempts are ticket_events (kind 'note', 'attempt'), not a table.

-- One row per signed-in browser. The cookie carries a random 256-bit token; only its
-- SHA-256 is stored, so a copy of this table signs no one in.
CREATE TABLE staff_sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES staff_users (id),
    -- Sent back in every form and API write (per-session CSRF token).
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

-- Failed sign-ins, counted per username and per address over a sliding window; in the
-- database so the limit holds across several server instances.
CREATE TABLE staff_login_failures (
    id       TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    ip       TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX staff_login_failures_username ON staff_login_failures (username, at);
CREATE INDEX staff_login_failures_ip ON staff_login_failures (ip, at);

-- Who viewed or changed what, when (GDPR accountability). Append-only.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    -- Username, or '-' for an unknown one (failed sign-in).
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at);
