CREATE TABLE totp (
    user_id   text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret    bytea NOT NULL,
    confirmed boolean NOT NULL DEFAULT false,
    last_step bigint NOT NULL DEFAULT 0
);
