-- Keys of signed access tokens (JWKS), one per rotation slot: the UNIQUE not_before is what
-- lets instances that create a slot's key at the same time agree on one.
CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    private_key BLOB NOT NULL,
    not_before  INTEGER NOT NULL UNIQUE,
    not_after   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX signing_keys_expires_at ON signing_keys (expires_at);
