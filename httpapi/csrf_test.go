package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

// TestLoginCSRF: an endpoint that creates a session refuses a foreign Origin, with or without
// a cookie, so that another site cannot sign the victim's browser into its own account.
func TestLoginCSRF(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "attacker")
	expectStatus(t, e.browser().post("/api/v1/password/signup", map[string]string{"username": "pw-attacker", "password": goodPassword}), 201)

	victim := e.browser()
	victim.origin = "https://evil.example"
	before := e.counts()
	r := victim.post("/api/v1/password/login", map[string]string{"username": "pw-attacker", "password": goodPassword})
	expectProblem(t, r, 403, passkeyd.CodeForbiddenOrigin)
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatal("a refused sign-in set a cookie")
	}
	opts := e.browser().post("/api/v1/authentication/options", map[string]any{})
	cred, _ := a.Login(opts.body)
	expectProblem(t, victim.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 403, passkeyd.CodeForbiddenOrigin)
	expectProblem(t, victim.post("/api/v1/password/signup", map[string]string{"username": "planted", "password": goodPassword}), 403, passkeyd.CodeForbiddenOrigin)
	expectProblem(t, victim.post("/api/v1/recovery/login", map[string]string{"username": "attacker", "code": "AAAA-BBBB-CCCC-DDDD"}), 403, passkeyd.CodeForbiddenOrigin)
	expectProblem(t, victim.post("/api/v1/mfa/verify", map[string]string{"mfaToken": "x", "code": "123456"}), 403, passkeyd.CodeForbiddenOrigin)
	ropts := e.browser().post("/api/v1/registration/options", map[string]string{"username": "planted2"})
	reg, _ := newAuthenticator(t, softauthn.Options{}).Register(ropts.body)
	expectProblem(t, victim.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(reg)}), 403, passkeyd.CodeForbiddenOrigin)
	victim.origin = "null" // a sandboxed frame or a cross-origin redirect
	expectProblem(t, victim.post("/api/v1/password/login", map[string]string{"username": "pw-attacker", "password": goodPassword}), 403, passkeyd.CodeForbiddenOrigin)
	if got := e.counts(); got != before {
		t.Fatalf("refused sign-ins changed the store: %v → %v", before, got)
	}
	// Native apps send no Origin; they are not refused.
	expectStatus(t, e.app().post("/api/v1/password/login", map[string]string{"username": "pw-attacker", "password": goodPassword}), 200)
}

// TestContentTypeRule: every request with a body must be application/json, so that a
// cross-site HTML form can never reach a handler.
func TestContentTypeRule(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	c.signUp(a, "alice")
	expectStatus(t, e.browser().post("/api/v1/password/signup", map[string]string{"username": "pat", "password": goodPassword}), 201)
	body := `{"username":"pat","password":"` + goodPassword + `"}`
	send := func(method, path, contentType, body string) result {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		if body == "" {
			req.Body = http.NoBody
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Origin", origin)
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return result{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}
	}
	before := e.counts()
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", "", "not a media type"} {
		r := send(http.MethodPost, "/api/v1/password/login", ct, body)
		expectProblem(t, r, 415, passkeyd.CodeUnsupportedMediaType)
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("%q: a cookie was set", ct)
		}
	}
	// State changes on a signed-in session too (cookie sent, Origin ours).
	expectProblem(t, send(http.MethodPost, "/api/v1/recovery-codes", "text/plain", "{}"), 415, passkeyd.CodeUnsupportedMediaType)
	expectProblem(t, send(http.MethodDelete, "/api/v1/account", "application/x-www-form-urlencoded", "a=b"), 415, passkeyd.CodeUnsupportedMediaType)
	expectProblem(t, send(http.MethodPost, "/admin/v1/users", "text/plain", "x"), 415, passkeyd.CodeUnsupportedMediaType)
	if got := e.counts(); got != before {
		t.Fatalf("refused requests changed the store: %v → %v", before, got)
	}
	expectStatus(t, send(http.MethodGet, "/api/v1/session", "", ""), 200)
	// JSON with parameters, and bodiless requests without a type, are fine.
	expectStatus(t, send(http.MethodPost, "/api/v1/password/login", "application/json; charset=utf-8", body), 200)
	expectStatus(t, send(http.MethodPost, "/api/v1/authentication/options", "", ""), 200)
	expectStatus(t, send(http.MethodDelete, "/api/v1/session", "", ""), 204)
}
