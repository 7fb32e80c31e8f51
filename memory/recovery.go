package memory

import (
	"bytes"
	"context"
	"time"

	"github.com/passkeyd/passkeyd"
)

type recoveryCode struct {
	hash []byte
	used bool
}

// ReplaceRecoveryCodes implements passkeyd.RecoveryCodeStore.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return passkeyd.ErrNotFound
	}
	s.putRecoveryCodes(userID, hashes)
	return nil
}

func (s *Store) putRecoveryCodes(userID string, hashes [][]byte) {
	codes := make([]*recoveryCode, 0, len(hashes))
	for _, h := range hashes {
		codes = append(codes, &recoveryCode{hash: bytes.Clone(h)})
	}
	s.recovery[userID] = codes
}

// UseRecoveryCode implements passkeyd.RecoveryCodeStore.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.recovery[userID] {
		if !c.used && bytes.Equal(c.hash, hash) {
			c.used = true
			return nil
		}
	}
	return passkeyd.ErrNotFound
}

// RecoveryCodesLeft implements passkeyd.RecoveryCodeStore.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, c := range s.recovery[userID] {
		if !c.used {
			n++
		}
	}
	return n, nil
}
