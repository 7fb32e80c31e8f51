package token_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/token"
)

func cachedToken(t testing.TB, i *token.Issuer, sess *passkeyd.Session, u *passkeyd.User) *token.AccessToken {
	t.Helper()
	at, err := i.CachedAccessToken(ctx, sess, u)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestCachedAccessTokenReused(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)}
	i := newIssuer(t, memory.NewStore(), c)
	sess := session(c)
	first := cachedToken(t, i, sess, alice)
	if first.ExpiresIn != 5*time.Minute {
		t.Fatalf("expiresIn %v", first.ExpiresIn)
	}
	c.Advance(time.Minute)
	// The store hands out a new Session value on every lookup: equal contents reuse.
	same := *sess
	again := cachedToken(t, i, &same, alice)
	if again.Token != first.Token || again.Claims.ID != first.Claims.ID {
		t.Fatal("a second call for the same session signed a new token")
	}
	if again.ExpiresIn != 4*time.Minute {
		t.Fatalf("a reused token's expiresIn is what it has left: %v", again.ExpiresIn)
	}
	verify(t, again.Token, jwks(t, i), c.Now())
	// The caller's copy is its own.
	again.ExpiresIn = time.Hour
	if cachedToken(t, i, sess, alice).ExpiresIn != 4*time.Minute {
		t.Fatal("a caller's change reached the cache")
	}
	// AccessToken (POST /api/v1/session/token) always signs a new one.
	if at, _ := i.AccessToken(ctx, sess, alice); at.Token == first.Token {
		t.Fatal("AccessToken reused a cached token")
	}
}

func TestCachedAccessTokenMintsAgainWhenTheClaimsChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User
		check  func(claims map[string]any) bool
	}{
		{"re-authentication", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			s.AuthenticatedAt = s.AuthenticatedAt.Add(time.Minute)
			return u
		}, func(m map[string]any) bool { return m["auth_time"] == float64(fixed.Unix()) }},
		{"re-authentication within the same second", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			s.AuthenticatedAt = s.AuthenticatedAt.Add(time.Millisecond)
			return u
		}, nil},
		{"step-up to user verification", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			s.UserVerified = true
			return u
		}, func(m map[string]any) bool { return slices.Equal(amrOf(m), []string{"hwk", "user"}) }},
		{"amr recorded", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			s.AMR = []string{"hwk", "user", "mfa"}
			return u
		}, func(m map[string]any) bool { return slices.Equal(amrOf(m), []string{"hwk", "user", "mfa"}) }},
		{"method", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			s.Method = passkeyd.MethodPassword
			return u
		}, func(m map[string]any) bool { return slices.Equal(amrOf(m), []string{"pwd"}) }},
		{"username", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			return &passkeyd.User{ID: u.ID, Username: "alice2"}
		}, func(m map[string]any) bool { return m["preferred_username"] == "alice2" }},
		// The same username on another account (the first one deleted, the name taken again).
		{"another user", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			s.UserID = "user-2"
			return &passkeyd.User{ID: "user-2", Username: u.Username}
		}, func(m map[string]any) bool { return m["sub"] == "user-2" }},
		{"session ends before the token would", func(s *passkeyd.Session, u *passkeyd.User) *passkeyd.User {
			s.ExpiresAt = fixed.Add(4 * time.Minute)
			return u
		}, func(m map[string]any) bool { return m["exp"] == float64(fixed.Add(4*time.Minute).Unix()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{now: fixed}
			i := newIssuer(t, memory.NewStore(), c)
			base := func() *passkeyd.Session {
				return &passkeyd.Session{ID: "sess-1", UserID: alice.ID, Method: passkeyd.MethodPasskey,
					AuthenticatedAt: fixed.Add(-time.Minute), ExpiresAt: fixed.Add(24 * time.Hour)}
			}
			first := cachedToken(t, i, base(), alice)
			c.Advance(time.Second)
			if cachedToken(t, i, base(), alice).Token != first.Token {
				t.Fatal("the unchanged session was not reused")
			}
			changed := base()
			u := tc.change(changed, alice)
			second := cachedToken(t, i, changed, u)
			if second.Token == first.Token {
				t.Fatal("the cached token was reused although its claims would differ")
			}
			claims, _ := verify(t, second.Token, jwks(t, i), c.Now())
			if tc.check != nil && !tc.check(claims) {
				t.Fatalf("claims %v", claims)
			}
			// The new token is the one reused from now on.
			if third := cachedToken(t, i, changed, u); third.Token != second.Token {
				t.Fatal("the new token was not kept")
			}
		})
	}
}

var fixed = time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)

func amrOf(claims map[string]any) []string {
	var out []string
	for _, v := range claims["amr"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

// TestCachedAccessTokenNearExpiry: a token is handed out again only while more than half
// of its lifetime is left, so an app never gets one that is about to expire.
func TestCachedAccessTokenNearExpiry(t *testing.T) {
	c := &clock{now: fixed}
	i := newIssuer(t, memory.NewStore(), c)
	sess := session(c)
	first := cachedToken(t, i, sess, alice)
	c.Advance(150*time.Second - time.Millisecond)
	if at := cachedToken(t, i, sess, alice); at.Token != first.Token {
		t.Fatal("a token with more than half its lifetime left was not reused")
	}
	c.Advance(time.Millisecond)
	second := cachedToken(t, i, sess, alice)
	if second.Token == first.Token || second.ExpiresIn != 5*time.Minute {
		t.Fatalf("a token with half its lifetime left was handed out again (expiresIn %v)", second.ExpiresIn)
	}
	// A clock stepped back before the token's nbf does not hand out a token from its future.
	c.Advance(-10 * time.Second)
	if at := cachedToken(t, i, sess, alice); at.Token == second.Token {
		t.Fatal("a token not valid yet was handed out")
	}
	// Near the end of the session, tokens end with it and each call signs its own.
	sess.ExpiresAt = c.Now().Add(time.Minute)
	a, b := cachedToken(t, i, sess, alice), cachedToken(t, i, sess, alice)
	if a.Token == b.Token || a.ExpiresIn != time.Minute {
		t.Fatalf("a session ending within half a lifetime reused a token (expiresIn %v)", a.ExpiresIn)
	}
}

// TestCachedAccessTokenRotation: once the key that signed a cached token stops signing, the
// next call gets a token signed by the new key, although the old token has most of its
// life left.
func TestCachedAccessTokenRotation(t *testing.T) {
	boundary := time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)
	c := &clock{now: boundary.Add(-time.Minute)}
	i := newIssuer(t, memory.NewStore(), c)
	sess := session(c)
	old := cachedToken(t, i, sess, alice)
	_, oldKid := verify(t, old.Token, jwks(t, i), c.Now())
	c.Advance(30 * time.Second)
	if at := cachedToken(t, i, sess, alice); at.Token != old.Token {
		t.Fatal("not reused within the key's slot")
	}
	c.Advance(time.Minute) // 30 s into the next slot: old has 3.5 of its 5 minutes left
	at := cachedToken(t, i, sess, alice)
	_, kid := verify(t, at.Token, jwks(t, i), c.Now())
	if at.Token == old.Token || kid == oldKid {
		t.Fatalf("after rotation the token is still signed by %s", oldKid)
	}
	fresh, _ := i.AccessToken(ctx, sess, alice)
	if _, want := verify(t, fresh.Token, jwks(t, i), c.Now()); kid != want {
		t.Fatalf("cached token signed by %s, the current key is %s", kid, want)
	}
}

func TestCachedAccessTokenDisabled(t *testing.T) {
	c := &clock{now: fixed}
	i := newIssuer(t, memory.NewStore(), c, func(cfg *token.Config) { cfg.CacheSize = -1 })
	sess := session(c)
	if a, b := cachedToken(t, i, sess, alice), cachedToken(t, i, sess, alice); a.Token == b.Token {
		t.Fatal("CacheSize -1 still reuses tokens")
	}
}

// TestCachedAccessTokenBounded: the cache keeps CacheSize sessions and evicts the least
// recently used.
func TestCachedAccessTokenBounded(t *testing.T) {
	c := &clock{now: fixed}
	i := newIssuer(t, memory.NewStore(), c, func(cfg *token.Config) { cfg.CacheSize = 2 })
	sess := func(n int) *passkeyd.Session { s := session(c); s.ID = fmt.Sprint("sess-", n); return s }
	t1, t2 := cachedToken(t, i, sess(1), alice), cachedToken(t, i, sess(2), alice)
	if cachedToken(t, i, sess(1), alice).Token != t1.Token { // 1 is now the most recent
		t.Fatal("session 1 not cached")
	}
	t3 := cachedToken(t, i, sess(3), alice) // evicts 2
	if cachedToken(t, i, sess(1), alice).Token != t1.Token || cachedToken(t, i, sess(3), alice).Token != t3.Token {
		t.Fatal("a recently used session was evicted")
	}
	if cachedToken(t, i, sess(2), alice).Token == t2.Token {
		t.Fatal("the least recently used session was kept beyond the cache size")
	}
}

// TestCachedAccessTokenConcurrent: a burst of calls for one session signs once and all get
// that token; many sessions at once through a small cache stay consistent (run with -race).
func TestCachedAccessTokenConcurrent(t *testing.T) {
	c := &clock{now: fixed}
	i := newIssuer(t, memory.NewStore(), c, func(cfg *token.Config) { cfg.CacheSize = 8 })
	const n = 32
	tokens := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range n {
		wg.Go(func() {
			<-start
			at, err := i.CachedAccessToken(ctx, session(c), alice)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[g] = at.Token
		})
	}
	close(start)
	wg.Wait()
	for g := range n {
		if tokens[g] != tokens[0] {
			t.Fatalf("a burst for one session signed more than one token (call %d)", g)
		}
	}

	users := []*passkeyd.User{alice, {ID: "user-2", Username: "bob"}, {ID: "user-3", Username: "carol"}}
	for g := range n {
		wg.Go(func() {
			for k := range 50 {
				u := users[(g+k)%len(users)]
				s := session(c)
				s.ID, s.UserID = fmt.Sprintf("sess-%d", (g+k)%20), u.ID
				at, err := i.CachedAccessToken(ctx, s, u)
				if err != nil {
					t.Error(err)
					return
				}
				if at.Claims.Subject != u.ID || at.Claims.SessionID != s.ID {
					t.Errorf("%s of %s got a token for %s of %s", s.ID, u.ID, at.Claims.SessionID, at.Claims.Subject)
					return
				}
			}
		})
	}
	wg.Wait()
}
