-- Keys of signed access tokens (JWKS), one per rotation slot: the UNIQUE not_before is what
-- lets instances that create a slot's key at the same time agree on one.
CREATE TABLE signing_keys (
    id          text PRIMARY KEY,
    algorithm   text NOT NULL,
    public_key  bytea NOT NULL,
    private_key bytea NOT NULL,
    not_before  timestamptz NOT NULL UNIQUE,
    not_after   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX signing_keys_expires_at ON signing_keys (expires_at);
