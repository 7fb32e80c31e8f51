package memory

import (
	"bytes"
	"context"

	"github.com/passkeyd/passkeyd"
)

// PutTOTP implements passkeyd.TOTPStore.
func (s *Store) PutTOTP(ctx context.Context, userID string, secret []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return passkeyd.ErrNotFound
	}
	if t, ok := s.totp[userID]; ok && t.Confirmed {
		return passkeyd.ErrCredentialExists
	}
	s.totp[userID] = &passkeyd.TOTP{UserID: userID, Secret: bytes.Clone(secret)}
	return nil
}

// TOTP implements passkeyd.TOTPStore.
func (s *Store) TOTP(ctx context.Context, userID string) (*passkeyd.TOTP, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.totp[userID]
	if !ok {
		return nil, passkeyd.ErrNotFound
	}
	cp := *t
	cp.Secret = bytes.Clone(t.Secret)
	return &cp, nil
}

// UseTOTPStep implements passkeyd.TOTPStore.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.totp[userID]
	if !ok || t.LastStep >= step {
		return passkeyd.ErrNotFound
	}
	t.LastStep, t.Confirmed = step, true
	return nil
}

// DeleteTOTP implements passkeyd.TOTPStore.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.totp[userID]; !ok {
		return passkeyd.ErrNotFound
	}
	delete(s.totp, userID)
	return nil
}
