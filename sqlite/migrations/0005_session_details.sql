-- Sessions record what they stand on: the passkey that signed them in (deleting it ends
-- them), whether the user was verified, the RFC 8176 amr values, and the client, for the
-- user's session list.
ALTER TABLE sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN credential_id BLOB;
ALTER TABLE sessions ADD COLUMN user_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
UPDATE sessions SET created_at = authenticated_at;
CREATE INDEX sessions_by_credential ON sessions (credential_id) WHERE credential_id IS NOT NULL;
