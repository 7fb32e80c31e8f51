package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/passkeyd/passkeyd/softauthn"
)

// BenchmarkLoginCeremony is one whole usernameless login through the HTTP handler, in
// process: POST options, the authenticator signs (excluded from the timing), POST verify
// with its session write. ns/op is the server's cost of a login.
func BenchmarkLoginCeremony(b *testing.B) {
	e := newEnv(b)
	a := softauthn.MustNew(softauthn.Options{})
	e.browser().signUp(a, "bench")
	h := e.srv.Config.Handler
	optsBody := []byte(`{}`)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/authentication/options", bytes.NewReader(optsBody)))
		if rec.Code != 200 {
			b.Fatalf("options: %d %s", rec.Code, rec.Body)
		}
		b.StopTimer()
		cred, err := a.Login(rec.Body.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
		b.StartTimer()
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/authentication/verify", bytes.NewReader(body)))
		if rec.Code != 200 {
			b.Fatalf("verify: %d %s", rec.Code, rec.Body)
		}
	}
}
