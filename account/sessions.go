package account

import (
	"context"
	"errors"

	"github.com/passkeyd/passkeyd"
)

// Sessions lists the user's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]*passkeyd.Session, error) {
	return s.store.Sessions(ctx, userID, s.Now())
}

// RevokeSession ends one of the user's sessions (the current one included).
func (s *Service) RevokeSession(ctx context.Context, userID, id string) error {
	if err := s.store.DeleteUserSession(ctx, userID, id); err != nil {
		if errors.Is(err, passkeyd.ErrNotFound) {
			return passkeyd.Errorf(passkeyd.CodeNotFound, "no such session")
		}
		return err
	}
	s.audit(ctx, userID, "session_revoked", "", nil, nil)
	return nil
}

// RevokeOtherSessions ends every session of the user but the current one.
func (s *Service) RevokeOtherSessions(ctx context.Context, sess *passkeyd.Session) error {
	n, err := s.store.DeleteOtherSessions(ctx, sess.UserID, sess.ID)
	if err != nil {
		return err
	}
	s.sessionsRevoked(ctx, sess.UserID, n)
	return nil
}

// endOtherSessions is the rule "sessions end with what they stand on": after the password,
// the recovery codes or the TOTP change, every other session is revoked, so one that a thief
// holds does not outlive the owner's repair.
func (s *Service) endOtherSessions(ctx context.Context, sess *passkeyd.Session) error {
	n, err := s.store.DeleteOtherSessions(ctx, sess.UserID, sess.ID)
	if err != nil {
		return err
	}
	s.sessionsRevoked(ctx, sess.UserID, n)
	return nil
}

func (s *Service) sessionsRevoked(ctx context.Context, userID string, n int) {
	if n > 0 {
		s.log.InfoContext(ctx, "sessions revoked", "user_id", userID, "count", n)
		s.audit(ctx, userID, "sessions_revoked", "", nil, nil)
	}
}

// DeleteAccount deletes the signed-in user's account and everything of it. It needs a
// recent sign-in.
func (s *Service) DeleteAccount(ctx context.Context, sess *passkeyd.Session) error {
	if err := s.requireRecent(sess); err != nil {
		return err
	}
	err := s.store.DeleteAccount(ctx, sess.UserID)
	s.signIns.dropUser(sess.UserID)
	if err != nil {
		return notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	s.log.InfoContext(ctx, "account deleted", "user_id", sess.UserID)
	s.auditAnonymous(ctx, sess.UserID, "account_deleted")
	return nil
}

// User returns the account with that id (for the OpenID provider's userinfo and token
// refresh, which must stop working for a deleted account). ErrNotFound when there is none.
func (s *Service) User(ctx context.Context, id string) (*passkeyd.User, error) {
	return s.store.UserByID(ctx, id)
}
