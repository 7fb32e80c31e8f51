package memory

import (
	"context"
	"slices"
	"time"

	"github.com/passkeyd/passkeyd"
)

// ReplacePassword implements passkeyd.UserStore.
func (s *Store) ReplacePassword(ctx context.Context, userID, hash, keepSession string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return passkeyd.ErrNotFound
	}
	if hash == "" && !s.hasPasskey(userID) {
		return passkeyd.ErrLastCredential
	}
	u.PasswordHash, u.ETag = hash, passkeyd.NewETag()
	s.dropSessions(func(sess *passkeyd.Session) bool { return sess.UserID == userID && sess.ID != keepSession })
	return nil
}

func (s *Store) hasPasskey(userID string) bool {
	for _, p := range s.passkeys {
		if p.UserID == userID {
			return true
		}
	}
	return false
}

// DeleteAccount implements passkeyd.UserStore.
func (s *Store) DeleteAccount(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return passkeyd.ErrNotFound
	}
	for id, p := range s.passkeys {
		if p.UserID == userID {
			delete(s.passkeys, id)
			delete(s.seq, id)
		}
	}
	s.dropSessions(func(sess *passkeyd.Session) bool { return sess.UserID == userID })
	delete(s.totp, userID)
	delete(s.recovery, userID)
	s.dropGrants(func(g *oidcGrant) bool { return g.UserID == userID })
	delete(s.byName, u.UsernameKey)
	delete(s.byHandle, string(u.Handle))
	delete(s.users, userID)
	for _, e := range s.events {
		if e.UserID == userID {
			e.IP, e.UserAgent = "", ""
		}
	}
	return nil
}

// Sessions implements passkeyd.SessionStore.
func (s *Store) Sessions(ctx context.Context, userID string, now time.Time) ([]*passkeyd.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*passkeyd.Session
	for _, sess := range s.sessions {
		if sess.UserID == userID && now.Before(sess.ExpiresAt) {
			out = append(out, cloneSession(sess))
		}
	}
	slices.SortFunc(out, func(a, b *passkeyd.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return b.AuthenticatedAt.Compare(a.AuthenticatedAt)
	})
	return out, nil
}

// DeleteUserSession implements passkeyd.SessionStore.
func (s *Store) DeleteUserSession(ctx context.Context, userID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[id]; !ok || sess.UserID != userID {
		return passkeyd.ErrNotFound
	}
	s.dropSessions(func(sess *passkeyd.Session) bool { return sess.ID == id })
	return nil
}

// DeleteOtherSessions implements passkeyd.SessionStore.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID, keepID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropSessions(func(sess *passkeyd.Session) bool { return sess.UserID == userID && sess.ID != keepID }), nil
}

// ReauthenticateSession implements passkeyd.SessionStore.
func (s *Store) ReauthenticateSession(ctx context.Context, id string, at time.Time, userVerified bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return passkeyd.ErrNotFound
	}
	sess.AuthenticatedAt = at.UTC()
	sess.UserVerified = sess.UserVerified || userVerified
	return nil
}
