-- One index fewer for every sign-in's session insert: a deleted passkey's sessions are found
-- by (user_id, credential_id), since its owner is always known there, instead of by an index
-- on credential_id that every session insert had to maintain.
DROP INDEX sessions_by_credential;
DROP INDEX sessions_by_user;
CREATE INDEX sessions_by_user ON sessions (user_id, credential_id);
