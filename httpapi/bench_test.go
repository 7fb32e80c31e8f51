package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/sqlite"

	"github.com/passkeyd/passkeyd/softauthn"
)

// BenchmarkLoginCeremony is one whole usernameless login through the HTTP handler, in
// process: POST options, the authenticator signs (excluded from the timing), POST verify
// with its session write. ns/op is the server's cost of a login.
func BenchmarkLoginCeremony(b *testing.B) {
	benchLogin(b, newEnv(b))
}

// BenchmarkLoginCeremonySQLite is the same on the durable embedded store: the counter update
// and the session insert are one fsynced transaction per login.
func BenchmarkLoginCeremonySQLite(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	benchLogin(b, newEnv(b, func(o *envOptions) { o.db = db }))
}

// benchRequest is a POST as the page sends it: JSON, from the server's own origin (the
// login-CSRF and Content-Type rules refuse anything else before a handler runs).
func benchRequest(path string, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	return req
}

func benchLogin(b *testing.B, e *env) {
	a := softauthn.MustNew(softauthn.Options{})
	e.browser().signUp(a, "bench")
	h := e.srv.Config.Handler
	optsBody := []byte(`{}`)
	// ns/op includes the software authenticator's signing; server-ns/op is the wall time
	// spent inside the two handler calls, the server's cost of one login.
	var server time.Duration
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := benchRequest("/api/v1/authentication/options", optsBody)
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		server += time.Since(t0)
		if rec.Code != 200 {
			b.Fatalf("options: %d %s", rec.Code, rec.Body)
		}
		cred, err := a.Login(rec.Body.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
		rec = httptest.NewRecorder()
		req = benchRequest("/api/v1/authentication/verify", body)
		t0 = time.Now()
		h.ServeHTTP(rec, req)
		server += time.Since(t0)
		if rec.Code != 200 {
			b.Fatalf("verify: %d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-ns/op")
}

// BenchmarkLoginCeremonySQLiteParallel runs logins from many clients at once on the durable
// store, as a loaded server sees them: concurrent commits share fsyncs (group commit).
func BenchmarkLoginCeremonySQLiteParallel(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := newEnv(b, func(o *envOptions) { o.db = db })
	h := e.srv.Config.Handler
	var mu sync.Mutex
	n := 0
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		n++
		a := softauthn.MustNew(softauthn.Options{})
		e.browser().signUp(a, fmt.Sprintf("bench%d", n))
		mu.Unlock()
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, benchRequest("/api/v1/authentication/options", []byte(`{}`)))
			cred, err := a.Login(rec.Body.Bytes())
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, benchRequest("/api/v1/authentication/verify", body))
			if rec.Code != 200 {
				b.Errorf("verify: %d %s", rec.Code, rec.Body)
				return
			}
		}
	})
}
