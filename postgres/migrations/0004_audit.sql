CREATE TABLE audit_events (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            text NOT NULL UNIQUE,
    user_id       text,
    type          text NOT NULL,
    method        text NOT NULL,
    credential_id bytea,
    ip            text NOT NULL,
    user_agent    text NOT NULL,
    outcome       text NOT NULL,
    reason        text NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX audit_events_by_user ON audit_events (user_id, seq);
