package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/sqlite"
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
//   - uncached: one session asked about again and again, with token reuse off
//     (token.Config.CacheSize -1): every answer signs a token, as before the cache;
//   - session: the same with the cache (a user browsing the app): the signature is reused;
//   - fresh-session: a new session every iteration (made outside the timing), so nothing
//     can be reused: a cache miss, one signature and an insertion each.
func BenchmarkAuthz(b *testing.B) {
	b.Run("uncached", func(b *testing.B) {
		h, _, cookie, _ := benchAuthzEnv(b, -1)
		b.ReportAllocs()
		for b.Loop() {
			benchAuthz(b, h, cookie)
		}
	})
	b.Run("session", func(b *testing.B) {
		h, _, cookie, _ := benchAuthzEnv(b, 0)
		b.ReportAllocs()
		for b.Loop() {
			benchAuthz(b, h, cookie)
		}
	})
	b.Run("fresh-session", func(b *testing.B) {
		h, userID, _, e := benchAuthzEnv(b, 0)
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			b.StopTimer()
			n++
			cookie := benchSession(b, e, userID, n)
			b.StartTimer()
			benchAuthz(b, h, cookie)
		}
	})
}

// BenchmarkAuthzSQLite is BenchmarkAuthz's first two on the embedded durable store, where
// the session and its user are two reads of the database on every request.
func BenchmarkAuthzSQLite(b *testing.B) {
	for _, bc := range []struct {
		name      string
		cacheSize int
	}{{"uncached", -1}, {"session", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			h, _, cookie, _ := benchAuthzEnv(b, bc.cacheSize, func(o *envOptions) { o.db = db })
			b.ReportAllocs()
			for b.Loop() {
				benchAuthz(b, h, cookie)
			}
		})
	}
}

// benchAuthzEnv is a server whose issuer keeps cacheSize sessions' tokens, with one user
// signed up: its handler, user id and session token.
func benchAuthzEnv(b *testing.B, cacheSize int, opts ...func(*envOptions)) (http.Handler, string, string, *env) {
	e := newEnv(b, append(opts, func(o *envOptions) { o.tokenCache = cacheSize })...)
	signed := e.browser().signUp(softauthn.MustNew(softauthn.Options{}), "bench")
	return e.srv.Config.Handler, field(signed, "user", "id").(string), field(signed, "session", "token").(string), e
}

func benchAuthz(b *testing.B, h http.Handler, cookie string) {
	req := httptest.NewRequest(http.MethodGet, "/api/v1/authz", nil)
	req.Header.Set("Cookie", "passkeyd_session="+cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("authz: %d %s", rec.Code, rec.Body)
	}
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
