package account

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/passkeyd/passkeyd"
)

// UserDetail is what an operator sees of one account.
type UserDetail struct {
	User     *passkeyd.User
	Passkeys []*passkeyd.Passkey
	Events   []*passkeyd.AuditEvent
}

// FindUser looks an account up by username (normalised as at sign-up) or by user id.
func (s *Service) FindUser(ctx context.Context, nameOrID string) (*UserDetail, error) {
	u, err := s.store.UserByID(ctx, nameOrID)
	if errors.Is(err, passkeyd.ErrNotFound) {
		if _, key, nerr := NormalizeUsername(nameOrID); nerr == nil {
			u, err = s.store.UserByUsername(ctx, key)
		}
	}
	if err != nil {
		return nil, err
	}
	ps, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	evs, err := s.Activity(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &UserDetail{User: u, Passkeys: ps, Events: evs}, nil
}

// RevokePasskey removes a passkey as an operator: a lost or stolen authenticator, even the
// account's last (the user then recovers with a recovery code or password).
func (s *Service) RevokePasskey(ctx context.Context, userID string, id []byte) error {
	err := s.store.RevokePasskey(ctx, userID, id)
	s.signIns.dropPasskey(id)
	if err != nil {
		return err
	}
	s.audit(ctx, userID, "passkey_revoked_by_operator", "passkey", id, nil)
	return nil
}

// RevokeSessions signs a user out everywhere and says how many sessions ended.
func (s *Service) RevokeSessions(ctx context.Context, userID string) (int, error) {
	n, err := s.store.DeleteUserSessions(ctx, userID)
	if err == nil {
		s.audit(ctx, userID, "sessions_revoked_by_operator", "", nil, nil)
	}
	return n, err
}

// ClearCloneWarning lets a flagged passkey sign in again after an operator has checked it.
func (s *Service) ClearCloneWarning(ctx context.Context, userID string, id []byte) error {
	p, err := s.store.Passkey(ctx, id)
	if err != nil {
		return err
	}
	if p.UserID != userID {
		return passkeyd.ErrNotFound
	}
	err = s.store.SetCloneWarning(ctx, id, false)
	s.signIns.dropPasskey(id)
	if err != nil {
		return err
	}
	s.audit(ctx, userID, "clone_warning_cleared_by_operator", "passkey", id, nil)
	return nil
}

// SearchUsers finds accounts whose username starts with prefix (normalised like usernames),
// at most 50.
func (s *Service) SearchUsers(ctx context.Context, prefix string) ([]*passkeyd.User, error) {
	key := norm.NFKC.String(folder.String(norm.NFKC.String(strings.TrimSpace(prefix))))
	if key == "" {
		return nil, invalid("q must not be empty")
	}
	return s.store.SearchUsers(ctx, key, 50)
}

// AdminAuthFailed records a refused operator token: an audit event of no account, with
// the client's address and user agent (from the context), so that someone probing the
// operator API leaves a trace.
func (s *Service) AdminAuthFailed(ctx context.Context) {
	s.audit(ctx, "", "admin_auth_failed", "admin_token", nil, passkeyd.ErrUnauthenticated)
}
