package httpapi_test

import (
	"net/http"
	"testing"

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
