CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    user_id       TEXT,
    type          TEXT NOT NULL,
    method        TEXT NOT NULL,
    credential_id BLOB,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_events_by_user ON audit_events (user_id, seq);
