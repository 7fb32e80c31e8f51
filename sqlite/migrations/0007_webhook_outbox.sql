-- The webhook outbox: one row per event per receiver URL, written in the transaction of the
-- audit event that caused it. No foreign key to users: an account.deleted event outlives
-- its account.
CREATE TABLE webhook_outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    event_id        TEXT NOT NULL,
    url             TEXT NOT NULL,
    type            TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    body            BLOB NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    -- since starts the age that MaxAge limits: the creation, or the operator's last retry.
    since           INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_token     TEXT NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    INTEGER
) STRICT;
-- Workers look for due pending rows; operators for dead ones; pruning for old delivered ones.
CREATE INDEX webhook_outbox_by_state ON webhook_outbox (state, next_attempt_at);
