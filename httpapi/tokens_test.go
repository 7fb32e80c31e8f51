package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/passkeyd/passkeyd/softauthn"
)

func (c *client) get(path string, header map[string]string) result {
	c.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body []byte
	body, _ = readAll(resp)
	return result{status: resp.StatusCode, header: resp.Header, body: body}
}

func readAll(resp *http.Response) ([]byte, error) {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return []byte(b.String()), nil
		}
	}
}

// verifyToken checks an access token against the server's JWKS as a downstream service
// would, and returns its claims and kid.
func verifyToken(t *testing.T, e *env, tok string) (map[string]any, string) {
	t.Helper()
	r := e.app().get("/.well-known/jwks.json", nil)
	expectStatus(t, r, 200)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.body, &set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	kid := parsed.Headers[0].KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", kid)
	}
	var std jwt.Claims
	claims := map[string]any{}
	if err := parsed.Claims(keys[0].Key, &std, &claims); err != nil {
		t.Fatal(err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: origin, AnyAudience: jwt.Audience{"apps"}, Time: e.clock()}, 0); err != nil {
		t.Fatal(err)
	}
	return claims, kid
}

func TestSessionToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	signed := b.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	userID := field(signed, "user", "id")
	sessionID := field(signed, "session", "id")

	r := b.post("/api/v1/session/token", nil)
	expectStatus(t, r, 200)
	m := r.json(t)
	if m["tokenType"] != "Bearer" || m["expiresIn"] != float64(300) || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("response %s", r.body)
	}
	claims, _ := verifyToken(t, e, m["accessToken"].(string))
	if claims["sub"] != userID || claims["sid"] != sessionID || claims["preferred_username"] != "alice" || claims["jti"] == "" || claims["auth_time"] == nil {
		t.Fatalf("claims %v", claims)
	}
	if amr, _ := claims["amr"].([]any); len(amr) == 0 || amr[0] != "hwk" {
		t.Fatalf("amr %v", claims["amr"])
	}

	// The Origin rule applies to cookie requests; a native app with a Bearer token needs none.
	b.origin = ""
	expectProblem(t, b.post("/api/v1/session/token", nil), 403, "forbidden_origin")
	b.origin = "https://evil.example"
	expectProblem(t, b.post("/api/v1/session/token", nil), 403, "forbidden_origin")
	b.origin = origin
	app := e.app()
	app.bearer = field(signed, "session", "token").(string)
	expectStatus(t, app.post("/api/v1/session/token", nil), 200)

	expectProblem(t, e.browser().post("/api/v1/session/token", nil), 401, "unauthenticated")
	// A revoked session mints nothing.
	expectStatus(t, b.do(http.MethodDelete, "/api/v1/session", nil), 204)
	expectProblem(t, app.post("/api/v1/session/token", nil), 401, "unauthenticated")
}

func TestJWKSCachingHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.app().get("/.well-known/jwks.json", nil)
	expectStatus(t, r, 200)
	etag := r.header.Get("ETag")
	if ct := r.header.Get("Content-Type"); ct != "application/json" || etag == "" || !strings.Contains(r.header.Get("Cache-Control"), "max-age=900") {
		t.Fatalf("headers %v", r.header)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.body, &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("current and next key expected: %s", r.body)
	}
	r = e.app().get("/.well-known/jwks.json", map[string]string{"If-None-Match": etag})
	if r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Fatalf("conditional GET: %d %s", r.status, r.body)
	}
	// After a rotation the set changes, and so does its validator.
	e.advance(time.Hour)
	r = e.app().get("/.well-known/jwks.json", map[string]string{"If-None-Match": etag})
	if r.status != 200 || r.header.Get("ETag") == etag {
		t.Fatalf("after rotation: %d %q", r.status, r.header.Get("ETag"))
	}
}

func TestForwardAuth(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	signed := b.signUp(newAuthenticator(t, softauthn.Options{}), "alice")

	r := b.get("/api/v1/authz", nil)
	expectStatus(t, r, 200)
	h := r.header
	if h.Get("X-Passkeyd-User-Id") != field(signed, "user", "id") || h.Get("X-Passkeyd-Username") != "alice" ||
		h.Get("X-Passkeyd-Session-Id") != field(signed, "session", "id") || h.Get("X-Passkeyd-Auth-Method") != "passkey" {
		t.Fatalf("identity headers %v", h)
	}
	bearer, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("Authorization %q", h.Get("Authorization"))
	}
	if claims, _ := verifyToken(t, e, bearer); claims["sub"] != field(signed, "user", "id") {
		t.Fatalf("claims %v", claims)
	}

	app := e.app()
	app.bearer = field(signed, "session", "token").(string)
	expectStatus(t, app.get("/api/v1/authz", nil), 200)
	app.bearer = "not-a-session"
	expectProblem(t, app.get("/api/v1/authz", nil), 401, "unauthenticated")

	anon := e.browser()
	expectProblem(t, anon.get("/api/v1/authz", nil), 401, "unauthenticated")
	// Without rd or a login URL, a browser is refused too: the proxy decides what to show.
	expectProblem(t, anon.get("/api/v1/authz", map[string]string{"Accept": "text/html"}), 401, "unauthenticated")
}

func TestForwardAuthRedirects(t *testing.T) {
	e := newEnv(t)
	anon := e.browser()
	html := map[string]string{"Accept": "text/html,application/xhtml+xml", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "localhost:8080", "X-Forwarded-Uri": "/app/page?x=1"}
	r := anon.get("/api/v1/authz?rd="+url.QueryEscape(origin+"/"), html)
	if r.status != http.StatusFound {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Scheme+"://"+loc.Host != origin || loc.Path != "/" || loc.Query().Get("rd") != origin+"/app/page?x=1" {
		t.Fatalf("Location %s", loc)
	}
	// X-Original-URL (nginx, HAProxy) names the original URL too.
	r = anon.get("/api/v1/authz?rd="+url.QueryEscape(origin+"/"), map[string]string{"Accept": "text/html", "X-Original-URL": origin + "/orig"})
	if loc, _ := url.Parse(r.header.Get("Location")); r.status != 302 || loc.Query().Get("rd") != origin+"/orig" {
		t.Fatalf("X-Original-URL: %d %s", r.status, r.header.Get("Location"))
	}
	// API clients get 401 even with rd: a redirect to a page means nothing to them.
	expectProblem(t, anon.get("/api/v1/authz?rd="+url.QueryEscape(origin+"/"), map[string]string{"Accept": "application/json"}), 401, "unauthenticated")

	for _, evil := range []string{"//evil.com", "https://evil.com", "https://example.com.evil.com", "javascript:alert(1)", "https:\\\\evil.com", "https://localhost:8080@evil.com/", "/\\evil.com"} {
		// A foreign sign-in page is refused: no redirect at all.
		r := anon.get("/api/v1/authz?rd="+url.QueryEscape(evil), html)
		expectProblem(t, r, 401, "unauthenticated")
		// A foreign original URL is dropped from the redirect.
		r = anon.get("/api/v1/authz?rd="+url.QueryEscape(origin+"/"), map[string]string{"Accept": "text/html", "X-Original-URL": evil})
		if loc, _ := url.Parse(r.header.Get("Location")); r.status != 302 || loc.Query().Has("rd") {
			t.Errorf("original URL %q: %d %s", evil, r.status, r.header.Get("Location"))
		}
		// And /return never sends a browser there.
		r = anon.get("/return?rd="+url.QueryEscape(evil), nil)
		if r.status != 302 || r.header.Get("Location") != "/" {
			t.Errorf("/return?rd=%s: %d %s", evil, r.status, r.header.Get("Location"))
		}
	}

	// A configured login URL (here a path on passkeyd) redirects without rd.
	e2 := newEnv(t, func(o *envOptions) { o.loginURL = "/" })
	r = e2.browser().get("/api/v1/authz", html)
	if loc, _ := url.Parse(r.header.Get("Location")); r.status != 302 || loc.Path != "/" || loc.Query().Get("rd") != origin+"/app/page?x=1" {
		t.Fatalf("login URL: %d %s", r.status, r.header.Get("Location"))
	}
}

// TestReturnAfterSignIn: /return sends a signed-in browser to an allowed original URL and
// one without a session back to the page, keeping the target.
func TestReturnAfterSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	target := origin + "/app/page?x=1"
	r := b.get("/return?rd="+url.QueryEscape(target), nil)
	if r.status != 302 || r.header.Get("Location") != "/?rd="+url.QueryEscape(target) {
		t.Fatalf("without a session: %d %s", r.status, r.header.Get("Location"))
	}
	b.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	r = b.get("/return?rd="+url.QueryEscape(target), nil)
	if r.status != 302 || r.header.Get("Location") != target {
		t.Fatalf("signed in: %d %s", r.status, r.header.Get("Location"))
	}
}

func TestCookieDomain(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.cookieDomain = "localhost" })
	opts := e.browser().post("/api/v1/registration/options", map[string]string{"username": "alice"})
	cred, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	r := e.browser().post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)})
	expectStatus(t, r, 201)
	if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "Domain=localhost") || !strings.Contains(sc, "HttpOnly") {
		t.Fatalf("Set-Cookie %q", sc)
	}
}
