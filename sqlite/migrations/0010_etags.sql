-- Etags: a random version number on every user and passkey, changed by every change to the
-- row except a sign-in's own update (counter, backup state, last use). A sign-in decided on a
-- cached read applies only while the etags it read are still the stored ones (RecordLogin),
-- so a cache never acts on a passkey renamed, flagged, replaced or deleted meanwhile. Rows
-- that exist now keep etag 0: a change, or a passkey registered again under the same id,
-- draws a random one.
--
-- The triggers bump the etag on any change to the other columns, also one made by hand; a
-- column added later must be added to its trigger's list.
ALTER TABLE users ADD COLUMN etag INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passkeys ADD COLUMN etag INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER users_etag AFTER UPDATE OF id, handle, username, username_key, display_name, password_hash, created_at ON users
BEGIN
    UPDATE users SET etag = random() WHERE id = NEW.id;
END;
CREATE TRIGGER passkeys_etag AFTER UPDATE OF id, user_id, name, public_key, algorithm, aaguid, transports, attestation_format,
    attestation_type, backup_eligible, user_verified, discoverable, clone_warning, created_at ON passkeys
BEGIN
    UPDATE passkeys SET etag = random() WHERE id = NEW.id;
END;
