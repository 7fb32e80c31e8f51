package memory

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/passkeyd/passkeyd"
)

// AddSigningKey implements passkeyd.SigningKeyStore.
func (s *Store) AddSigningKey(ctx context.Context, k *passkeyd.SigningKey) (*passkeyd.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.signingKeys {
		if have.NotBefore.Equal(k.NotBefore) {
			return cloneSigningKey(have), nil
		}
	}
	for _, have := range s.signingKeys {
		if have.ID == k.ID {
			return nil, passkeyd.ErrCredentialExists
		}
	}
	s.signingKeys = append(s.signingKeys, cloneSigningKey(k))
	return cloneSigningKey(k), nil
}

// SigningKeys implements passkeyd.SigningKeyStore.
func (s *Store) SigningKeys(ctx context.Context, now time.Time) ([]*passkeyd.SigningKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*passkeyd.SigningKey{}
	for _, k := range s.signingKeys {
		if k.ExpiresAt.After(now) {
			out = append(out, cloneSigningKey(k))
		}
	}
	slices.SortFunc(out, func(a, b *passkeyd.SigningKey) int { return a.NotBefore.Compare(b.NotBefore) })
	return out, nil
}

// DeleteExpiredSigningKeys implements passkeyd.SigningKeyStore.
func (s *Store) DeleteExpiredSigningKeys(ctx context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.signingKeys)
	s.signingKeys = slices.DeleteFunc(s.signingKeys, func(k *passkeyd.SigningKey) bool { return !k.ExpiresAt.After(now) })
	return n - len(s.signingKeys), nil
}

func cloneSigningKey(k *passkeyd.SigningKey) *passkeyd.SigningKey {
	cp := *k
	cp.PublicKey = bytes.Clone(k.PublicKey)
	cp.PrivateKey = bytes.Clone(k.PrivateKey)
	return &cp
}
