package oidc_test

import (
	"net/url"
	"testing"
	"time"
)

// BenchmarkCodeFlow is one complete authorization code flow in process, for a browser
// already signed in at passkeyd (the passkey sign-in itself is measured by the ceremony
// and httpapi benchmarks): authorize → login hand-off → callback (code) → token exchange
// (ID and access token signed, grant stored). The per-step figures are reported as
// custom metrics (µs/op of each step).
func BenchmarkCodeFlow(b *testing.B) {
	h := newHarness(b)
	br := h.browser()
	br.signUp("alice")
	var tAuth, tLogin, tCallback, tToken time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		resp, _ := br.get(h.authorizeURL(map[string]string{"client_id": "conf"}))
		t1 := time.Now()
		login, _ := br.get(resp.Header.Get("Location"))
		t2 := time.Now()
		cbURL, _ := login.Request.URL.Parse(login.Header.Get("Location"))
		cb, _ := br.get(cbURL.String())
		t3 := time.Now()
		loc, _ := url.Parse(cb.Header.Get("Location"))
		tr := h.exchange(loc.Query().Get("code"), "conf", confSecret, "")
		t4 := time.Now()
		if tr.Status != 200 {
			b.Fatalf("%+v", tr)
		}
		tAuth += t1.Sub(t0)
		tLogin += t2.Sub(t1)
		tCallback += t3.Sub(t2)
		tToken += t4.Sub(t3)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tAuth.Microseconds())/n, "authorize-µs/op")
	b.ReportMetric(float64(tLogin.Microseconds())/n, "login-µs/op")
	b.ReportMetric(float64(tCallback.Microseconds())/n, "callback-µs/op")
	b.ReportMetric(float64(tToken.Microseconds())/n, "token-µs/op")
}

// BenchmarkPasskeySignIn is the sign-in step of a flow for a browser without a session:
// options and a verified assertion (softauthn signs in process).
func BenchmarkPasskeySignIn(b *testing.B) {
	h := newHarness(b)
	br := h.browser()
	br.signUp("alice")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		br.signIn()
	}
}
