package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/softauthn"
)

// authzToken is the access token of a 200 answer from GET /api/v1/authz.
func authzToken(t *testing.T, c *client) string {
	t.Helper()
	r := c.get("/api/v1/authz", nil)
	expectStatus(t, r, 200)
	tok, ok := strings.CutPrefix(r.header.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("Authorization %q", r.header.Get("Authorization"))
	}
	return tok
}

// TestForwardAuthReusesToken: a proxy asking about every request of one session gets the
// same token while it is fresh, a new one when half its life is gone or the session
// re-authenticated, and nothing at all once the session is revoked or expired.
func TestForwardAuthReusesToken(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	b := e.browser()
	signed := b.signUp(a, "alice")
	app := e.app()
	app.bearer = field(signed, "session", "token").(string)

	first := authzToken(t, b)
	e.advance(time.Minute)
	if authzToken(t, b) != first || authzToken(t, app) != first {
		t.Fatal("a fresh token was not reused for the same session (cookie or Bearer)")
	}
	claims, _ := verifyToken(t, e, first)
	if claims["sid"] != field(signed, "session", "id") {
		t.Fatalf("claims %v", claims)
	}
	// Another session of the same user has a token of its own.
	phone := e.browser()
	expectStatus(t, phone.login(a, ""), 200)
	if authzToken(t, phone) == first {
		t.Fatal("two sessions share a token")
	}

	// Half of the 5-minute lifetime gone: a new token.
	e.advance(100 * time.Second)
	second := authzToken(t, b)
	if second == first {
		t.Fatal("a token with less than half its lifetime left was handed out again")
	}
	verifyToken(t, e, second)

	// A re-authentication changes auth_time: a new token that says so.
	e.advance(time.Second)
	expectStatus(t, b.reauthPasskey(a), 200)
	third := authzToken(t, b)
	if third == second {
		t.Fatal("the token from before the re-authentication was reused")
	}
	if claims, _ := verifyToken(t, e, third); claims["auth_time"] != float64(e.clock().Unix()) {
		t.Fatalf("auth_time %v, want %d", claims["auth_time"], e.clock().Unix())
	}

	// Revoked from another device: 401 on the very next request, cached token or not.
	if authzToken(t, phone) == "" {
		t.Fatal("no token")
	}
	expectStatus(t, b.do(http.MethodDelete, "/api/v1/sessions", nil), 204)
	expectProblem(t, phone.get("/api/v1/authz", nil), 401, "unauthenticated")
	// Signed out: the same.
	expectStatus(t, b.do(http.MethodDelete, "/api/v1/session", nil), 204)
	expectProblem(t, app.get("/api/v1/authz", nil), 401, "unauthenticated")

	// Expired (the test sessions last an hour): the same.
	c := e.browser()
	c.signUp(newAuthenticator(t, softauthn.Options{}), "bob")
	authzToken(t, c)
	e.advance(time.Hour)
	expectProblem(t, c.get("/api/v1/authz", nil), 401, "unauthenticated")
}

// TestForwardAuthTokenAfterRotation: once the key that signed a session's token stops
// signing, authz hands out a token signed by the new one.
func TestForwardAuthTokenAfterRotation(t *testing.T) {
	e := newEnv(t)
	// 90 s before a boundary of the test's one-hour key slots (and far from the previous
	// one, so the session below outlives the test).
	now := e.clock()
	e.advance(now.Truncate(time.Hour).Add(time.Hour).Sub(now) + 30*time.Minute)
	now = e.clock()
	e.advance(now.Truncate(time.Hour).Add(time.Hour - 90*time.Second).Sub(now))
	b := e.browser()
	b.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	old := authzToken(t, b)
	_, oldKid := verifyToken(t, e, old)
	e.advance(time.Minute)
	if authzToken(t, b) != old {
		t.Fatal("not reused within the key's slot")
	}
	e.advance(time.Minute) // 30 s into the next slot: the old token has 3 of its 5 minutes left
	tok := authzToken(t, b)
	if _, kid := verifyToken(t, e, tok); tok == old || kid == oldKid {
		t.Fatalf("after rotation authz still hands out a token signed by %s", oldKid)
	}
}

// TestForwardAuthBurst: a burst of authz requests for one session (a page loading its
// assets) all pass and share one token; run with -race.
func TestForwardAuthBurst(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	const n = 16
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			r := b.get("/api/v1/authz", nil)
			if r.status != 200 {
				t.Errorf("status %d: %s", r.status, r.body)
				return
			}
			tokens[g] = r.header.Get("Authorization")
		})
	}
	wg.Wait()
	for g := range n {
		if tokens[g] != tokens[0] || tokens[0] == "" {
			t.Fatalf("request %d got another token", g)
		}
	}
}

// TestForwardAuthUncached: with the cache off (token.Config.CacheSize < 0), every answer
// carries a token of its own, as before the cache.
func TestForwardAuthUncached(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.tokenCache = -1 })
	b := e.browser()
	b.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	if authzToken(t, b) == authzToken(t, b) {
		t.Fatal("a token was reused with the cache off")
	}
}
