package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

// addPasskey registers another passkey on c's session.
func (c *client) addPasskey(a *softauthn.Authenticator, name string) result {
	c.e.t.Helper()
	opts := c.post("/api/v1/registration/options", map[string]any{"username": "ignored-user"})
	expectStatus(c.e.t, opts, 200)
	cred, err := a.Register(opts.body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred), "name": name})
}

func TestAddRenameDeletePasskeys(t *testing.T) {
	e := newEnv(t)
	phone := newAuthenticator(t, softauthn.Options{})
	key := newAuthenticator(t, softauthn.Options{Attestation: softauthn.AttestationPacked, Transports: []string{"usb", "nfc"}, Attachment: "cross-platform", NoUserVerification: true})
	c := e.browser()
	c.signUp(phone, "alice")

	// Options with a session add to the signed-in user and exclude their passkeys; the
	// username in the body is ignored.
	opts := c.post("/api/v1/registration/options", map[string]any{"username": "bob"})
	pk := opts.json(t)["publicKey"].(map[string]any)
	if field(pk, "user", "name") != "alice" {
		t.Fatalf("add-passkey options for %v", field(pk, "user", "name"))
	}
	if ex := pk["excludeCredentials"].([]any); len(ex) != 1 || ex[0].(map[string]any)["id"] != softauthnID(phone) {
		t.Fatalf("excludeCredentials %v", ex)
	}
	if _, err := phone.Register(opts.body); err == nil {
		t.Fatal("the same authenticator registered twice")
	}
	added := c.addPasskey(key, "YubiKey")
	expectStatus(t, added, 201)
	if m := added.json(t); m["session"] != nil || field(m, "passkey", "deviceType") != "security_key" || field(m, "passkey", "attestationFormat") != "packed" || field(m, "user", "username") != "alice" {
		t.Fatalf("add passkey: %s", added.body)
	}
	if cookieOf(added) != nil {
		t.Fatal("adding a passkey set a new session cookie")
	}

	list := c.do("GET", "/api/v1/passkeys", nil)
	expectStatus(t, list, 200)
	items := list.json(t)["passkeys"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["name"] != "YubiKey" {
		t.Fatalf("list (newest first): %s", list.body)
	}
	keyID := items[0].(map[string]any)["id"].(string)
	phoneID := items[1].(map[string]any)["id"].(string)
	// The Signal API's inputs: the RP ID and the user handle the authenticators hold.
	if m := list.json(t); m["rpId"] != "localhost" || m["userHandle"] != b64(phone.Credentials()[0].UserHandle) {
		t.Fatalf("list rpId %v userHandle %v, want localhost and %s", m["rpId"], m["userHandle"], b64(phone.Credentials()[0].UserHandle))
	}

	ren := c.do("PATCH", "/api/v1/passkeys/"+keyID, map[string]string{"name": "  Blue key \t"})
	expectStatus(t, ren, 200)
	if ren.json(t)["name"] != "Blue key" || ren.json(t)["id"] != keyID {
		t.Fatalf("rename: %s", ren.body)
	}
	for name, body := range map[string]any{
		"empty":      map[string]string{"name": "   "},
		"too long":   map[string]string{"name": strings.Repeat("é", 65)},
		"control":    map[string]string{"name": "a\u0000b"},
		"missing":    map[string]string{},
		"wrong type": map[string]int{"name": 3},
	} {
		t.Run("rename "+name, func(t *testing.T) {
			expectProblem(t, c.do("PATCH", "/api/v1/passkeys/"+keyID, body), 400, passkeyd.CodeInvalidRequest)
		})
	}
	if ren := c.do("PATCH", "/api/v1/passkeys/"+keyID, map[string]string{"name": strings.Repeat("é", 64)}); ren.status != 200 {
		t.Fatalf("64 code points refused: %s", ren.body)
	}

	expectStatus(t, c.do("DELETE", "/api/v1/passkeys/"+keyID, nil), 204)
	expectProblem(t, c.do("DELETE", "/api/v1/passkeys/"+keyID, nil), 404, passkeyd.CodeNotFound)
	expectProblem(t, c.do("DELETE", "/api/v1/passkeys/"+phoneID, nil), 409, passkeyd.CodeLastCredential)
	if n := len(c.do("GET", "/api/v1/passkeys", nil).json(t)["passkeys"].([]any)); n != 1 {
		t.Fatalf("%d passkeys left, want 1", n)
	}
}

func TestOtherUsersPasskeysAreNotFound(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.browser(), e.browser()
	alice.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	bobKey := newAuthenticator(t, softauthn.Options{})
	bob.signUp(bobKey, "bob")
	bob.addPasskey(newAuthenticator(t, softauthn.Options{}), "second")
	id := softauthnID(bobKey)
	expectProblem(t, alice.do("PATCH", "/api/v1/passkeys/"+id, map[string]string{"name": "mine"}), 404, passkeyd.CodeNotFound)
	expectProblem(t, alice.do("DELETE", "/api/v1/passkeys/"+id, nil), 404, passkeyd.CodeNotFound)
	expectProblem(t, alice.do("DELETE", "/api/v1/passkeys/!!!", nil), 404, passkeyd.CodeNotFound)
	expectProblem(t, alice.do("DELETE", "/api/v1/passkeys/"+strings.Repeat("A", 2000), nil), 404, passkeyd.CodeNotFound)
	if n := len(bob.do("GET", "/api/v1/passkeys", nil).json(t)["passkeys"].([]any)); n != 2 {
		t.Fatal("bob's passkeys changed")
	}
}

func TestAddPasskeyChallengeIsBoundToSession(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	c.signUp(a, "alice")
	opts := c.post("/api/v1/registration/options", map[string]any{})
	cred, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	body := map[string]any{"credential": json.RawMessage(cred)}
	before := e.counts()

	// Same user, another session: refused.
	other := e.browser()
	expectStatus(t, other.login(a, "alice"), 200)
	before = e.counts()
	expectProblem(t, other.post("/api/v1/registration/verify", body), 400, passkeyd.CodeChallengeUnknown)
	if e.counts() != before {
		t.Fatal("a verify on another session stored a passkey")
	}
	// No session at all: refused too (and the challenge is spent).
	opts = c.post("/api/v1/registration/options", map[string]any{})
	cred, _ = newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	expectProblem(t, e.app().post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeChallengeUnknown)
	if e.counts() != before {
		t.Fatal("a verify without a session stored a passkey")
	}
}

func TestSessionEndpointsAndSignOut(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	token := field(c.signUp(newAuthenticator(t, softauthn.Options{}), "alice"), "session", "token").(string)
	app := e.app()
	app.bearer = token
	expectStatus(t, app.do("GET", "/api/v1/session", nil), 200)

	r := c.do("DELETE", "/api/v1/session", nil)
	expectStatus(t, r, 204)
	if ck := cookieOf(r); ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("cookie not cleared: %+v", ck)
	}
	// Revoked server-side: the token no longer works anywhere.
	expectProblem(t, app.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	expectProblem(t, c.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	c.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	expectStatus(t, c.do("GET", "/api/v1/session", nil), 200)
	e.advance(61 * 60e9)
	expectProblem(t, c.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
}

func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	anon := e.browser()
	for _, rt := range [][2]string{{"GET", "/api/v1/passkeys"}, {"PATCH", "/api/v1/passkeys/AAAA"}, {"DELETE", "/api/v1/passkeys/AAAA"}, {"GET", "/api/v1/session"}, {"DELETE", "/api/v1/session"}} {
		expectProblem(t, anon.do(rt[0], rt[1], map[string]string{"name": "x"}), 401, passkeyd.CodeUnauthenticated)
	}
	bad := e.app()
	bad.bearer = "not-a-token"
	expectProblem(t, bad.do("GET", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	// An invalid Bearer token is refused even where a session is optional...
	expectProblem(t, bad.post("/api/v1/registration/options", map[string]string{"username": "newbie"}), 401, passkeyd.CodeUnauthenticated)
	// ...while a stale cookie counts as no session, so the browser can still sign up.
	stale := e.browser()
	stale.hc.Jar.SetCookies(mustURL(e.srv.URL), []*httpCookie{{Name: "passkeyd_session", Value: "stale"}})
	expectStatus(t, stale.post("/api/v1/registration/options", map[string]string{"username": "newbie"}), 200)
	// Other Authorization schemes are not sessions.
	basic := e.app()
	r := basic.doWithHeader("GET", "/api/v1/session", "Authorization", "Basic YTpi")
	expectProblem(t, r, 401, passkeyd.CodeUnauthenticated)
}

// TestCSRFOriginRule: cookie-authenticated state-changing requests need an allowed Origin;
// the session is checked first.
func TestCSRFOriginRule(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	token := field(c.signUp(newAuthenticator(t, softauthn.Options{}), "alice"), "session", "token").(string)
	id := softauthnIDFromList(t, c)

	for _, o := range []string{"", "https://evil.example", "http://localhost:8081", "null"} {
		c.origin = o
		expectProblem(t, c.do("PATCH", "/api/v1/passkeys/"+id, map[string]string{"name": "x"}), 403, passkeyd.CodeForbiddenOrigin)
		expectProblem(t, c.do("DELETE", "/api/v1/session", nil), 403, passkeyd.CodeForbiddenOrigin)
		expectProblem(t, c.post("/api/v1/registration/options", map[string]any{}), 403, passkeyd.CodeForbiddenOrigin)
	}
	// GET needs no Origin.
	c.origin = ""
	expectStatus(t, c.do("GET", "/api/v1/passkeys", nil), 200)
	// No session and a foreign Origin: the session rule answers first.
	anon := e.browser()
	anon.origin = "https://evil.example"
	expectProblem(t, anon.do("DELETE", "/api/v1/session", nil), 401, passkeyd.CodeUnauthenticated)
	// Bearer requests need no Origin, even when a cookie rides along.
	c.bearer = token
	expectStatus(t, c.do("PATCH", "/api/v1/passkeys/"+id, map[string]string{"name": "ok"}), 200)
}

func softauthnIDFromList(t *testing.T, c *client) string {
	items := c.do("GET", "/api/v1/passkeys", nil).json(t)["passkeys"].([]any)
	return items[0].(map[string]any)["id"].(string)
}

func TestHealthOpenAPIAndUnknownPaths(t *testing.T) {
	e := newEnv(t)
	c := e.app()
	expectStatus(t, c.do("GET", "/healthz", nil), 200)
	r := c.do("GET", "/readyz", nil)
	expectStatus(t, r, 200)
	if field(r.json(t), "checks", "database", "status") != "ok" {
		t.Fatalf("readyz: %s", r.body)
	}
	expectStatus(t, c.do("GET", "/api/openapi.json", nil), 200)
	expectProblem(t, c.do("GET", "/api/v1/nope", nil), 404, passkeyd.CodeNotFound)
	page := c.do("GET", "/", nil)
	expectStatus(t, page, 200)
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("page CSP %q", csp)
	}
	expectStatus(t, c.do("GET", "/assets/passkeyd.js", nil), 200)
	if h := r.header; h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Request-Id") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("security headers: %v", h)
	}
}
