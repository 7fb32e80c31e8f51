-- The operator's run-time AAGUID allow and deny lists, which every instance reads (they add
-- to the lists of the configuration); an AAGUID is on one list at a time.
CREATE TABLE aaguid_rules (
    aaguid     BLOB PRIMARY KEY CHECK (length(aaguid) = 16),
    list       TEXT NOT NULL CHECK (list IN ('allow', 'deny')),
    note       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
-- "Which users hold passkeys of model X", for when that model is found compromised.
CREATE INDEX passkeys_by_aaguid ON passkeys (aaguid, user_id);
