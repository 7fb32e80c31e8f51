-- The webhook outbox: one row per event per receiver URL, written in the transaction of the
-- audit event that caused it. No foreign key to users: an account.deleted event outlives
-- its account.
CREATE TABLE webhook_outbox (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              text NOT NULL UNIQUE,
    event_id        text NOT NULL,
    url             text NOT NULL,
    type            text NOT NULL,
    user_id         text NOT NULL,
    body            bytea NOT NULL,
    state           text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    -- since starts the age that MaxAge limits: the creation, or the operator's last retry.
    since           timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_token     text NOT NULL DEFAULT '',
    lease_until     timestamptz NOT NULL DEFAULT '-infinity',
    last_error      text NOT NULL DEFAULT '',
    delivered_at    timestamptz
);
-- Workers look for due pending rows; operators for dead ones; pruning for old delivered ones.
CREATE INDEX webhook_outbox_by_state ON webhook_outbox (state, next_attempt_at);
