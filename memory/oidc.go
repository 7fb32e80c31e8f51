package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
)

type oidcGrant struct {
	passkeyd.OIDCGrant
	revoked bool
	// revokedAt is when it was revoked, so DeleteExpiredOIDCGrants can drop it later.
	revokedAt time.Time
}

type refreshRow struct {
	grantID string
	used    bool
}

// AddOIDCClient implements passkeyd.OIDCStore.
func (s *Store) AddOIDCClient(ctx context.Context, c *passkeyd.OIDCClient) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.oidcClients[c.ID]; ok {
		return passkeyd.ErrCredentialExists
	}
	s.oidcClients[c.ID] = cloneClient(c)
	return nil
}

// OIDCClient implements passkeyd.OIDCStore.
func (s *Store) OIDCClient(ctx context.Context, id string) (*passkeyd.OIDCClient, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.oidcClients[id]
	if !ok {
		return nil, passkeyd.ErrNotFound
	}
	return cloneClient(c), nil
}

// OIDCClients implements passkeyd.OIDCStore.
func (s *Store) OIDCClients(ctx context.Context) ([]*passkeyd.OIDCClient, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*passkeyd.OIDCClient, 0, len(s.oidcClients))
	for _, c := range s.oidcClients {
		out = append(out, cloneClient(c))
	}
	slices.SortFunc(out, func(a, b *passkeyd.OIDCClient) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// DeleteOIDCClient implements passkeyd.OIDCStore.
func (s *Store) DeleteOIDCClient(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.oidcClients[id]; !ok {
		return passkeyd.ErrNotFound
	}
	delete(s.oidcClients, id)
	s.dropGrants(func(g *oidcGrant) bool { return g.ClientID == id })
	return nil
}

// CreateOIDCGrant implements passkeyd.OIDCStore.
func (s *Store) CreateOIDCGrant(ctx context.Context, g *passkeyd.OIDCGrant, refreshHash []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[g.UserID]; !ok {
		return passkeyd.ErrNotFound
	}
	if _, ok := s.grants[g.ID]; ok {
		return passkeyd.ErrCredentialExists
	}
	if refreshHash != nil {
		if _, ok := s.refresh[string(refreshHash)]; ok {
			return passkeyd.ErrCredentialExists
		}
		s.refresh[string(refreshHash)] = &refreshRow{grantID: g.ID}
	}
	s.grants[g.ID] = &oidcGrant{OIDCGrant: cloneGrant(g)}
	return nil
}

// OIDCGrant implements passkeyd.OIDCStore.
func (s *Store) OIDCGrant(ctx context.Context, id string, now time.Time) (*passkeyd.OIDCGrant, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.grants[id]
	if !ok || !g.live(now) {
		return nil, passkeyd.ErrNotFound
	}
	cp := cloneGrant(&g.OIDCGrant)
	return &cp, nil
}

func (g *oidcGrant) live(now time.Time) bool { return !g.revoked && now.Before(g.ExpiresAt) }

// OIDCRefresh implements passkeyd.OIDCStore.
func (s *Store) OIDCRefresh(ctx context.Context, hash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	return s.refreshToken(hash, nil, now)
}

// RotateOIDCRefresh implements passkeyd.OIDCStore.
func (s *Store) RotateOIDCRefresh(ctx context.Context, oldHash, newHash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	return s.refreshToken(oldHash, newHash, now)
}

func (s *Store) refreshToken(hash, newHash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refresh[string(hash)]
	if !ok {
		return nil, passkeyd.ErrNotFound
	}
	g, ok := s.grants[r.grantID]
	if !ok {
		return nil, passkeyd.ErrNotFound
	}
	if r.used {
		if !g.revoked {
			g.revoked, g.revokedAt = true, now
		}
		return nil, passkeyd.ErrTokenReused
	}
	if !g.live(now) {
		return nil, passkeyd.ErrNotFound
	}
	if newHash != nil {
		if _, ok := s.refresh[string(newHash)]; ok {
			return nil, passkeyd.ErrCredentialExists
		}
		r.used = true
		s.refresh[string(newHash)] = &refreshRow{grantID: g.ID}
	}
	cp := cloneGrant(&g.OIDCGrant)
	return &cp, nil
}

// RevokeOIDCGrant implements passkeyd.OIDCStore.
func (s *Store) RevokeOIDCGrant(ctx context.Context, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.grants[id]; ok && !g.revoked {
		g.revoked, g.revokedAt = true, now
	}
	return nil
}

// DeleteExpiredOIDCGrants implements passkeyd.OIDCStore.
func (s *Store) DeleteExpiredOIDCGrants(ctx context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropGrants(func(g *oidcGrant) bool {
		return !now.Before(g.ExpiresAt) || (g.revoked && g.revokedAt.Before(now))
	}), nil
}

// dropGrants deletes the grants that match, with their refresh tokens. Callers hold mu.
func (s *Store) dropGrants(match func(*oidcGrant) bool) int {
	n := 0
	for id, g := range s.grants {
		if match(g) {
			delete(s.grants, id)
			n++
		}
	}
	for h, r := range s.refresh {
		if _, ok := s.grants[r.grantID]; !ok {
			delete(s.refresh, h)
		}
	}
	return n
}

func cloneClient(c *passkeyd.OIDCClient) *passkeyd.OIDCClient {
	cp := *c
	cp.RedirectURIs = slices.Clone(c.RedirectURIs)
	cp.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	cp.Scopes = slices.Clone(c.Scopes)
	return &cp
}

func cloneGrant(g *passkeyd.OIDCGrant) passkeyd.OIDCGrant {
	cp := *g
	cp.Scopes = slices.Clone(g.Scopes)
	cp.AMR = slices.Clone(g.AMR)
	return cp
}
