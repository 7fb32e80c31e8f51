package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/softauthn"
)

// BenchmarkSessionToken is POST /api/v1/session/token through the handler: the session
// lookup (in memory) plus one signature. ns/op is the cost of minting a token.
func BenchmarkSessionToken(b *testing.B) {
	e := newEnv(b)
	app := e.app()
	app.bearer = field(app.signUp(softauthn.MustNew(softauthn.Options{}), "bench"), "session", "token").(string)
	b.ReportAllocs()
	for b.Loop() {
		if r := app.post("/api/v1/session/token", nil); r.status != http.StatusOK {
			b.Fatal(r.status)
		}
	}
}

// BenchmarkJWKS is GET /.well-known/jwks.json through the handler: the set is rendered at
// rotation, so serving it is a copy of bytes.
func BenchmarkJWKS(b *testing.B) {
	app := newEnv(b).app()
	b.ReportAllocs()
	for b.Loop() {
		if r := app.get("/.well-known/jwks.json", nil); r.status != http.StatusOK {
			b.Fatal(r.status)
		}
	}
}

// BenchmarkAuthz is GET /api/v1/authz through the handler, as a reverse proxy sends it for
// every request to a protected app: the session cookie is looked up (in memory) and an
// access token is put in the answer.
//
//   - session: one session, asked about again and again (a user browsing the app);
//   - fresh-session: a new session every iteration (made outside the timing), so no token
//     can have been minted for it before.
func BenchmarkAuthz(b *testing.B) {
	e := newEnv(b)
	signed := e.browser().signUp(softauthn.MustNew(softauthn.Options{}), "bench")
	userID := field(signed, "user", "id").(string)
	h := e.srv.Config.Handler
	authz := func(b *testing.B, cookie string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/authz", nil)
		req.Header.Set("Cookie", "passkeyd_session="+cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("authz: %d %s", rec.Code, rec.Body)
		}
	}
	b.Run("session", func(b *testing.B) {
		cookie := field(signed, "session", "token").(string)
		b.ReportAllocs()
		for b.Loop() {
			authz(b, cookie)
		}
	})
	b.Run("fresh-session", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			b.StopTimer()
			n++
			cookie := benchSession(b, e, userID, n)
			b.StartTimer()
			authz(b, cookie)
		}
	})
}

// benchSession stores a new passkey session of userID and returns its token.
func benchSession(b *testing.B, e *env, userID string, n int) string {
	tok := fmt.Sprintf("bench-session-%d-%d", n, time.Now().UnixNano())
	now := e.clock()
	err := e.store.CreateSession(context.Background(), &passkeyd.Session{
		ID: fmt.Sprintf("bench-%d-%d", n, now.UnixNano()), TokenHash: account.HashToken(tok), UserID: userID,
		Method: passkeyd.MethodPasskey, UserVerified: true, AMR: []string{"hwk", "user"},
		AuthenticatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		b.Fatal(err)
	}
	return tok
}
