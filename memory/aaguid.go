package memory

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/passkeyd/passkeyd"
)

// PutAAGUIDRule implements passkeyd.AAGUIDStore.
func (s *Store) PutAAGUIDRule(ctx context.Context, r *passkeyd.AAGUIDRule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aaguidRules == nil {
		s.aaguidRules = map[[16]byte]*passkeyd.AAGUIDRule{}
	}
	cp := *r
	s.aaguidRules[r.AAGUID] = &cp
	return nil
}

// DeleteAAGUIDRule implements passkeyd.AAGUIDStore.
func (s *Store) DeleteAAGUIDRule(ctx context.Context, aaguid [16]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.aaguidRules[aaguid]; !ok {
		return passkeyd.ErrNotFound
	}
	delete(s.aaguidRules, aaguid)
	return nil
}

// AAGUIDRules implements passkeyd.AAGUIDStore.
func (s *Store) AAGUIDRules(ctx context.Context) ([]*passkeyd.AAGUIDRule, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*passkeyd.AAGUIDRule{}
	for _, r := range s.aaguidRules {
		cp := *r
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *passkeyd.AAGUIDRule) int { return bytes.Compare(a.AAGUID[:], b.AAGUID[:]) })
	return out, nil
}

// PasskeysByAAGUID implements passkeyd.AAGUIDStore.
func (s *Store) PasskeysByAAGUID(ctx context.Context, aaguid [16]byte, afterUser string, limit int) ([]*passkeyd.Passkey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*passkeyd.Passkey
	for _, p := range s.passkeys {
		if bytes.Equal(p.AAGUID, aaguid[:]) && p.UserID > afterUser {
			match = append(match, p)
		}
	}
	slices.SortFunc(match, func(a, b *passkeyd.Passkey) int {
		if c := strings.Compare(a.UserID, b.UserID); c != 0 {
			return c
		}
		return bytes.Compare(a.ID, b.ID)
	})
	out := []*passkeyd.Passkey{}
	users := 0
	for i, p := range match {
		if i == 0 || p.UserID != match[i-1].UserID {
			if users == limit {
				break
			}
			users++
		}
		out = append(out, clonePasskey(p))
	}
	return out, nil
}
