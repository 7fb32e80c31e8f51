-- Etags: a random version number on every user and passkey, changed by every change to the
-- row except a sign-in's own update (counter, backup state, last use). A sign-in decided on a
-- cached read applies only while the etags it read are still the stored ones (RecordLogin),
-- so an instance's cache never acts on a passkey that another instance renamed, flagged,
-- replaced or deleted meanwhile. Rows that exist now keep etag 0 (adding the column rewrites
-- nothing); new rows and every change draw a random one.
--
-- The database draws them, in a column default and in triggers, so that every writer counts:
-- an instance still running the previous release during a rolling upgrade, or a change made
-- by hand. A column added later must be added to its trigger's list. 60 of the 64 bits are
-- random (a version 4 UUID's first eight bytes), from the server's strong random source.
CREATE FUNCTION passkeyd_new_etag() RETURNS bigint LANGUAGE sql VOLATILE PARALLEL SAFE AS
$$ SELECT ('x' || encode(substring(uuid_send(gen_random_uuid()) FROM 1 FOR 8), 'hex'))::bit(64)::bigint $$;

ALTER TABLE users ADD COLUMN etag bigint NOT NULL DEFAULT 0;
ALTER TABLE users ALTER COLUMN etag SET DEFAULT passkeyd_new_etag();
ALTER TABLE passkeys ADD COLUMN etag bigint NOT NULL DEFAULT 0;
ALTER TABLE passkeys ALTER COLUMN etag SET DEFAULT passkeyd_new_etag();

-- The body repeats the expression rather than calling passkeyd_new_etag(): PL/pgSQL resolves
-- names with the search_path of the session that fires the trigger.
CREATE FUNCTION passkeyd_bump_etag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.etag := ('x' || encode(substring(uuid_send(gen_random_uuid()) FROM 1 FOR 8), 'hex'))::bit(64)::bigint;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_etag BEFORE UPDATE OF id, handle, username, username_key, display_name, password_hash, created_at
    ON users FOR EACH ROW EXECUTE FUNCTION passkeyd_bump_etag();
CREATE TRIGGER passkeys_etag BEFORE UPDATE OF id, user_id, name, public_key, algorithm, aaguid, transports, attestation_format,
    attestation_type, backup_eligible, user_verified, discoverable, clone_warning, created_at
    ON passkeys FOR EACH ROW EXECUTE FUNCTION passkeyd_bump_etag();
