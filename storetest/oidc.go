package storetest

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func testOIDCClients(t *testing.T, s passkeyd.Store) {
	a := &passkeyd.OIDCClient{ID: "grafana", SecretHash: "sha256:abc", RedirectURIs: []string{"https://grafana.example.com/login/generic_oauth"},
		PostLogoutRedirectURIs: []string{"https://grafana.example.com/"}, Scopes: []string{"openid", "profile"}, CreatedAt: now}
	b := &passkeyd.OIDCClient{ID: "app", Public: true, RedirectURIs: []string{"http://127.0.0.1/cb", "com.example.app:/cb"}, Scopes: []string{"openid"}, CreatedAt: now}
	if cs, err := s.OIDCClients(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("empty: %v %v", cs, err)
	}
	for _, c := range []*passkeyd.OIDCClient{a, b} {
		if err := s.AddOIDCClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	mustIs(t, s.AddOIDCClient(ctx, &passkeyd.OIDCClient{ID: "app", CreatedAt: now}), passkeyd.ErrCredentialExists)
	got, err := s.OIDCClient(ctx, "grafana")
	if err != nil || got.SecretHash != a.SecretHash || got.Public || !slices.Equal(got.RedirectURIs, a.RedirectURIs) ||
		!slices.Equal(got.PostLogoutRedirectURIs, a.PostLogoutRedirectURIs) || !slices.Equal(got.Scopes, a.Scopes) || !got.CreatedAt.Equal(now) {
		t.Fatalf("client %+v %v", got, err)
	}
	cs, err := s.OIDCClients(ctx)
	if err != nil || len(cs) != 2 || cs[0].ID != "app" || cs[1].ID != "grafana" || !cs[0].Public || !slices.Equal(cs[0].RedirectURIs, b.RedirectURIs) {
		t.Fatalf("list %+v %v", cs, err)
	}
	_, err = s.OIDCClient(ctx, "nope")
	mustIs(t, err, passkeyd.ErrNotFound)
	mustIs(t, s.DeleteOIDCClient(ctx, "nope"), passkeyd.ErrNotFound)
	if err := s.DeleteOIDCClient(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	_, err = s.OIDCClient(ctx, "app")
	mustIs(t, err, passkeyd.ErrNotFound)
}

func newGrant(clientID, userID string) *passkeyd.OIDCGrant {
	return &passkeyd.OIDCGrant{ID: id(), ClientID: clientID, UserID: userID, SessionID: id(), Scopes: []string{"openid", "offline_access"},
		AMR: []string{"hwk", "user"}, ACR: "phr", AuthTime: now.Add(-time.Minute), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}

func testOIDCGrants(t *testing.T, s passkeyd.Store) {
	u, _, _ := account(t, s, "alice")
	g := newGrant("grafana", u.ID)
	r1 := random(32)
	if err := s.CreateOIDCGrant(ctx, g, r1); err != nil {
		t.Fatal(err)
	}
	got, err := s.OIDCGrant(ctx, g.ID, now)
	if err != nil || got.ClientID != "grafana" || got.UserID != u.ID || got.SessionID != g.SessionID || !slices.Equal(got.Scopes, g.Scopes) ||
		!slices.Equal(got.AMR, g.AMR) || got.ACR != "phr" || !got.AuthTime.Equal(g.AuthTime) || !got.CreatedAt.Equal(now) || !got.ExpiresAt.Equal(g.ExpiresAt) {
		t.Fatalf("grant %+v %v", got, err)
	}
	if got, err := s.OIDCRefresh(ctx, r1, now); err != nil || got.ID != g.ID {
		t.Fatalf("refresh lookup %+v %v", got, err)
	}
	// A grant without refresh token (no offline_access) exists for its access tokens.
	plain := newGrant("grafana", u.ID)
	if err := s.CreateOIDCGrant(ctx, plain, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OIDCGrant(ctx, plain.ID, now); err != nil {
		t.Fatal(err)
	}
	_, err = s.OIDCGrant(ctx, g.ID, g.ExpiresAt)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.OIDCRefresh(ctx, r1, g.ExpiresAt)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.OIDCRefresh(ctx, random(32), now)
	mustIs(t, err, passkeyd.ErrNotFound)
	_, err = s.OIDCGrant(ctx, "nope", now)
	mustIs(t, err, passkeyd.ErrNotFound)
	mustIs(t, s.CreateOIDCGrant(ctx, newGrant("grafana", "no-such-user"), nil), passkeyd.ErrNotFound)

	// Rotation: the new token works, the old one is reuse and revokes the family.
	r2 := random(32)
	if got, err := s.RotateOIDCRefresh(ctx, r1, r2, now); err != nil || got.ID != g.ID {
		t.Fatalf("rotate %+v %v", got, err)
	}
	if _, err := s.OIDCRefresh(ctx, r2, now); err != nil {
		t.Fatal(err)
	}
	_, err = s.RotateOIDCRefresh(ctx, r1, random(32), now)
	if !errors.Is(err, passkeyd.ErrTokenReused) {
		t.Fatalf("reuse of a rotated token: %v", err)
	}
	for _, h := range [][]byte{r1, r2} {
		if _, err := s.OIDCRefresh(ctx, h, now); err == nil {
			t.Fatal("a token of a revoked family still works")
		}
	}
	_, err = s.OIDCGrant(ctx, g.ID, now)
	mustIs(t, err, passkeyd.ErrNotFound)
	if _, err := s.OIDCGrant(ctx, plain.ID, now); err != nil {
		t.Fatalf("another grant was revoked too: %v", err)
	}

	// Reuse found by the lookup alone (before any rotation call) revokes too.
	g2, r3, r4 := newGrant("grafana", u.ID), random(32), random(32)
	_ = s.CreateOIDCGrant(ctx, g2, r3)
	if _, err := s.RotateOIDCRefresh(ctx, r3, r4, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OIDCRefresh(ctx, r3, now); !errors.Is(err, passkeyd.ErrTokenReused) {
		t.Fatalf("lookup of a rotated token: %v", err)
	}
	_, err = s.OIDCRefresh(ctx, r4, now)
	mustIs(t, err, passkeyd.ErrNotFound)

	// Explicit revocation, idempotent.
	if err := s.RevokeOIDCGrant(ctx, plain.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeOIDCGrant(ctx, plain.ID, now); err != nil {
		t.Fatal(err)
	}
	_, err = s.OIDCGrant(ctx, plain.ID, now)
	mustIs(t, err, passkeyd.ErrNotFound)
	if err := s.RevokeOIDCGrant(ctx, "nope", now); err != nil {
		t.Fatal(err)
	}

	// Expired and revoked grants are swept; live ones stay.
	live, r5 := newGrant("grafana", u.ID), random(32)
	live.ExpiresAt = now.Add(48 * time.Hour)
	_ = s.CreateOIDCGrant(ctx, live, r5)
	n, err := s.DeleteExpiredOIDCGrants(ctx, now.Add(2*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("swept %d %v, want 3", n, err)
	}
	if _, err := s.OIDCRefresh(ctx, r5, now); err != nil {
		t.Fatal(err)
	}
}

func testOIDCGrantsGoWithClientAndUser(t *testing.T, s passkeyd.Store) {
	u, _, _ := account(t, s, "alice")
	_ = s.AddOIDCClient(ctx, &passkeyd.OIDCClient{ID: "wiki", Public: true, RedirectURIs: []string{"https://wiki/cb"}, CreatedAt: now})
	g, r := newGrant("wiki", u.ID), random(32)
	other, r2 := newGrant("grafana", u.ID), random(32)
	_ = s.CreateOIDCGrant(ctx, g, r)
	_ = s.CreateOIDCGrant(ctx, other, r2)
	if err := s.DeleteOIDCClient(ctx, "wiki"); err != nil {
		t.Fatal(err)
	}
	_, err := s.OIDCRefresh(ctx, r, now)
	mustIs(t, err, passkeyd.ErrNotFound)
	if _, err := s.OIDCRefresh(ctx, r2, now); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.OIDCRefresh(ctx, r2, now)
	mustIs(t, err, passkeyd.ErrNotFound)
}

func testOIDCRotateConcurrent(t *testing.T, s passkeyd.Store) {
	u, _, _ := account(t, s, "alice")
	g, r := newGrant("grafana", u.ID), random(32)
	_ = s.CreateOIDCGrant(ctx, g, r)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, reused := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.RotateOIDCRefresh(ctx, r, random(32), now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, passkeyd.ErrTokenReused), errors.Is(err, passkeyd.ErrNotFound):
				reused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || reused != 7 {
		t.Fatalf("%d rotations succeeded, %d refused; want 1 and 7", ok, reused)
	}
	// The losers were reuse: the family is revoked.
	_, err := s.OIDCGrant(ctx, g.ID, now)
	mustIs(t, err, passkeyd.ErrNotFound)
}

// RunTickets tests a passkeyd.TicketStore.
func RunTickets(t *testing.T, open func(t *testing.T) passkeyd.TicketStore) {
	t.Run("put, read, take once", func(t *testing.T) {
		s := open(t)
		key := id()
		if err := s.PutTicket(ctx, key, []byte("v1"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if v, err := s.Ticket(ctx, key, time.Now()); err != nil || string(v) != "v1" {
				t.Fatalf("read %q %v", v, err)
			}
		}
		if err := s.PutTicket(ctx, key, []byte("v2"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if v, err := s.TakeTicket(ctx, key, time.Now()); err != nil || string(v) != "v2" {
			t.Fatalf("take %q %v", v, err)
		}
		_, err := s.TakeTicket(ctx, key, time.Now())
		mustIs(t, err, passkeyd.ErrNotFound)
		_, err = s.Ticket(ctx, key, time.Now())
		mustIs(t, err, passkeyd.ErrNotFound)
	})
	t.Run("expired and unknown are ErrNotFound", func(t *testing.T) {
		s := open(t)
		key := id()
		_ = s.PutTicket(ctx, key, []byte("v"), time.Now().Add(time.Minute))
		_, err := s.Ticket(ctx, key, time.Now().Add(time.Minute))
		mustIs(t, err, passkeyd.ErrNotFound)
		_, err = s.TakeTicket(ctx, key, time.Now().Add(2*time.Minute))
		mustIs(t, err, passkeyd.ErrNotFound)
		_, err = s.TakeTicket(ctx, id(), time.Now())
		mustIs(t, err, passkeyd.ErrNotFound)
	})
	t.Run("add: only when absent or expired", func(t *testing.T) {
		s := open(t)
		key := id()
		now := time.Now()
		if ok, err := s.AddTicket(ctx, key, []byte("first"), now, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("first add: %v %v", ok, err)
		}
		if ok, err := s.AddTicket(ctx, key, []byte("second"), now, now.Add(time.Minute)); err != nil || ok {
			t.Fatalf("second add over a live ticket: %v %v", ok, err)
		}
		if v, err := s.Ticket(ctx, key, now); err != nil || string(v) != "first" {
			t.Fatalf("a refused add replaced the value: %q %v", v, err)
		}
		// Once the first one has expired (by the caller's clock) a new one may be added.
		later := now.Add(time.Minute)
		if ok, err := s.AddTicket(ctx, key, []byte("third"), later, later.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("add over an expired ticket: %v %v", ok, err)
		}
		if v, err := s.Ticket(ctx, key, later); err != nil || string(v) != "third" {
			t.Fatalf("after add over an expired ticket: %q %v", v, err)
		}
	})
	t.Run("concurrent adds: exactly one wins", func(t *testing.T) {
		s := open(t)
		for round := range 5 {
			key := id()
			start := make(chan struct{})
			var wg sync.WaitGroup
			var won, lost atomic.Int32
			for i := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ok, err := s.AddTicket(ctx, key, []byte{byte(i)}, time.Now(), time.Now().Add(time.Minute))
					switch {
					case err != nil:
						t.Error(err)
					case ok:
						won.Add(1)
					default:
						lost.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			if won.Load() != 1 || lost.Load() != 31 {
				t.Fatalf("round %d: %d adds won, %d lost; want 1 and 31", round, won.Load(), lost.Load())
			}
		}
	})
	t.Run("concurrent takes: one wins", func(t *testing.T) {
		s := open(t)
		key := id()
		_ = s.PutTicket(ctx, key, []byte("code"), time.Now().Add(time.Minute))
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.TakeTicket(ctx, key, time.Now()); err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d takes won", won)
		}
	})
}
