-- Sessions record what they stand on: the passkey that signed them in (deleting it ends
-- them), whether the user was verified, the RFC 8176 amr values, and the client, for the
-- user's session list.
ALTER TABLE sessions ADD COLUMN created_at timestamptz;
UPDATE sessions SET created_at = authenticated_at;
ALTER TABLE sessions ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE sessions ADD COLUMN credential_id bytea;
ALTER TABLE sessions ADD COLUMN user_verified boolean NOT NULL DEFAULT false;
ALTER TABLE sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{}';
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip text NOT NULL DEFAULT '';
CREATE INDEX sessions_by_credential ON sessions (credential_id) WHERE credential_id IS NOT NULL;
