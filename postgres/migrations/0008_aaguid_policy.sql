-- The operator's run-time AAGUID allow and deny lists, which every instance reads (they add
-- to the lists of the configuration); an AAGUID is on one list at a time.
CREATE TABLE aaguid_rules (
    aaguid     bytea PRIMARY KEY CHECK (length(aaguid) = 16),
    list       text NOT NULL CHECK (list IN ('allow', 'deny')),
    note       text NOT NULL,
    updated_at timestamptz NOT NULL
);
-- "Which users hold passkeys of model X", for when that model is found compromised. User ids
-- are compared byte-wise (COLLATE "C") so pages follow the same order on every database.
CREATE INDEX passkeys_by_aaguid ON passkeys (aaguid, user_id COLLATE "C");
