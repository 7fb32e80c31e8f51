package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDiscovery(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	want := map[string]string{
		"issuer": h.issuer, "authorization_endpoint": h.issuer + "/oidc/authorize", "token_endpoint": h.issuer + "/oidc/token",
		"userinfo_endpoint": h.issuer + "/oidc/userinfo", "jwks_uri": h.issuer + "/.well-known/jwks.json",
		"end_session_endpoint": h.issuer + "/oidc/end_session", "revocation_endpoint": h.issuer + "/oidc/revoke",
		"introspection_endpoint": h.issuer + "/oidc/introspect",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %s", k, d[k], v)
		}
	}
	has := func(k, v string) {
		for _, x := range d[k].([]any) {
			if x == v {
				return
			}
		}
		t.Errorf("%s %v lacks %s", k, d[k], v)
	}
	has("code_challenge_methods_supported", "S256")
	has("token_endpoint_auth_methods_supported", "client_secret_basic")
	has("token_endpoint_auth_methods_supported", "client_secret_post")
	has("scopes_supported", "openid")
	has("id_token_signing_alg_values_supported", "ES256")
}

// TestCodeFlow is the whole confidential-client flow: sign-in page, code, tokens that
// verify against the JWK Set, claims, userinfo, introspection, refresh rotation.
func TestCodeFlow(t *testing.T) {
	h := newHarness(t)
	b := h.browser()

	// Without a session the browser goes to passkeyd's page, carrying the way back.
	u := h.authorizeURL(map[string]string{"client_id": "conf", "scope": "openid profile offline_access", "nonce": "nonce-1"})
	end, _ := b.follow(u)
	if end.Path != "/" || !strings.HasPrefix(end.Query().Get("rd"), h.issuer+"/oidc/login?id=") || end.Query().Has("reauth") {
		t.Fatalf("not sent to the sign-in page: %s", end)
	}
	b.signUp("alice")
	// The page goes back through /return, which must accept the login URL.
	end, _ = b.follow(h.issuer + "/return?rd=" + url.QueryEscape(end.Query().Get("rd")))
	if end.Path != "/cb" || end.Query().Get("code") == "" {
		t.Fatalf("after sign-in: %s", end)
	}
	tr := h.exchange(end.Query().Get("code"), "conf", confSecret, "")
	if tr.Status != 200 || tr.IDToken == "" || tr.AccessToken == "" || tr.RefreshToken == "" || !strings.EqualFold(tr.TokenType, "bearer") {
		t.Fatalf("token response %+v", tr)
	}
	id := h.verifyJWT(tr.IDToken)
	for k, v := range map[string]any{"iss": h.issuer, "aud": "conf", "nonce": "nonce-1", "acr": "phr", "preferred_username": "alice"} {
		got := id[k]
		if arr, ok := got.([]any); ok && len(arr) == 1 {
			got = arr[0]
		}
		if got != v {
			t.Errorf("id token %s = %v, want %v", k, id[k], v)
		}
	}
	if amr, _ := json.Marshal(id["amr"]); string(amr) != `["hwk","user"]` && string(amr) != `["hwk"]` {
		t.Errorf("amr %s", amr)
	}
	if id["sid"] == nil || id["sid"] == "" || id["auth_time"] == nil || id["at_hash"] == nil || id["sub"] == nil {
		t.Errorf("id token lacks sid, auth_time, at_hash or sub: %v", id)
	}
	at := h.verifyJWT(tr.AccessToken)
	if at["sub"] != id["sub"] || at["sid"] != id["sid"] || at["client_id"] != "conf" || at["iss"] != h.issuer {
		t.Errorf("access token claims %v", at)
	}
	status, info := bearer(h.issuer+"/oidc/userinfo", tr.AccessToken)
	if status != 200 || info["sub"] != id["sub"] || info["preferred_username"] != "alice" {
		t.Fatalf("userinfo %d %v", status, info)
	}
	if !h.introspect(tr.AccessToken) {
		t.Fatal("introspection: a fresh access token is inactive")
	}

	// Refresh rotates: the new refresh token works, the old one is reuse.
	r1 := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, "conf", confSecret)
	if r1.Status != 200 || r1.RefreshToken == "" || r1.RefreshToken == tr.RefreshToken || r1.AccessToken == "" || r1.IDToken == "" {
		t.Fatalf("refresh %+v", r1)
	}
	if got := h.verifyJWT(r1.IDToken); got["sub"] != id["sub"] || got["sid"] != id["sid"] {
		t.Errorf("refreshed id token %v", got)
	}
	r2 := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1.RefreshToken}}, "conf", confSecret)
	if r2.Status != 200 {
		t.Fatalf("second refresh %+v", r2)
	}

	// A client that already signed in the user gets a code at once.
	c := b.code(map[string]string{"client_id": "conf"})
	if tr := h.exchange(c, "conf", confSecret, ""); tr.Status != 200 {
		t.Fatalf("second flow %+v", tr)
	}
}

// TestRefreshTokenReuse: presenting a rotated refresh token revokes the family: the
// newest refresh token and the access tokens stop working too.
func TestRefreshTokenReuse(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	tr := h.exchange(b.code(map[string]string{"client_id": "conf", "scope": "openid offline_access"}), "conf", confSecret, "")
	r1 := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, "conf", confSecret)
	if r1.Status != 200 {
		t.Fatalf("refresh %+v", r1)
	}
	again := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, "conf", confSecret)
	if again.Status != 400 || again.Error != "invalid_grant" {
		t.Fatalf("reuse of a rotated refresh token: %+v", again)
	}
	if r := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1.RefreshToken}}, "conf", confSecret); r.Status != 400 {
		t.Fatalf("the newest refresh token survived the reuse: %+v", r)
	}
	if h.introspect(r1.AccessToken) {
		t.Fatal("an access token of the revoked family is still active")
	}
	if status, _ := bearer(h.issuer+"/oidc/userinfo", r1.AccessToken); status == 200 {
		t.Fatal("userinfo answers for a revoked family")
	}
	// Another client may not use the token at all.
	b2 := h.browser()
	b2.signUp("bob")
	tb := h.exchange(b2.code(map[string]string{"client_id": "conf", "scope": "openid offline_access"}), "conf", confSecret, "")
	if r := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tb.RefreshToken}}, "spa", ""); r.Status != 400 {
		t.Fatalf("a refresh token worked for another client: %+v", r)
	}
}

func TestWrongRedirectURI(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	for _, ru := range []string{"https://evil.example/cb", h.redirect + "/extra", h.redirect + "?x=1", strings.ToUpper(h.redirect[:4]) + h.redirect[4:], strings.TrimSuffix(h.redirect, "/cb") + "/CB"} {
		resp, _ := b.get(h.authorizeURL(map[string]string{"client_id": "conf", "redirect_uri": ru}))
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && (strings.HasPrefix(loc, ru) || strings.Contains(loc, "code=")) {
			t.Errorf("redirect_uri %q: redirected to %s", ru, loc)
		}
		if resp.StatusCode/100 == 2 || resp.StatusCode/100 == 3 {
			if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/") && loc != "" {
				t.Errorf("redirect_uri %q: status %d to %s", ru, resp.StatusCode, loc)
			}
		}
	}
	// The token endpoint also requires the redirect_uri of the request.
	c := b.code(map[string]string{"client_id": "conf"})
	f := url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"https://evil.example/cb"}}
	if tr := h.tokenRequest(f, "conf", confSecret); tr.Status != 400 {
		t.Fatalf("code exchanged with another redirect_uri: %+v", tr)
	}
}

func TestPKCE(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	// A public client must send a challenge, and only S256.
	for name, p := range map[string]map[string]string{
		"no challenge":    {"client_id": "spa"},
		"plain challenge": {"client_id": "spa", "code_challenge": strings.Repeat("a", 43), "code_challenge_method": "plain"},
	} {
		end, _ := b.follow(h.authorizeURL(p))
		if end.Path != "/cb" || end.Query().Get("error") != "invalid_request" || end.Query().Get("code") != "" {
			t.Errorf("%s: %s", name, end)
		}
	}
	verifier, challenge := pkce()
	params := map[string]string{"client_id": "spa", "code_challenge": challenge, "code_challenge_method": "S256"}
	if tr := h.exchange(b.code(params), "spa", "", ""); tr.Status != 400 || tr.AccessToken != "" {
		t.Errorf("missing verifier: %+v", tr)
	}
	other, _ := pkce()
	if tr := h.exchange(b.code(params), "spa", "", other); tr.Status != 400 || tr.AccessToken != "" {
		t.Errorf("wrong verifier: %+v", tr)
	}
	if tr := h.exchange(b.code(params), "spa", "", verifier); tr.Status != 200 || tr.IDToken == "" {
		t.Errorf("right verifier: %+v", tr)
	}
	// A confidential client that sent a challenge must send its verifier too.
	params["client_id"] = "conf"
	if tr := h.exchange(b.code(params), "conf", confSecret, ""); tr.Status != 400 {
		t.Errorf("confidential client without its verifier: %+v", tr)
	}
}

// TestCodeReuse: a code works once; a second use revokes what the first one issued.
func TestCodeReuse(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	c := b.code(map[string]string{"client_id": "conf", "scope": "openid offline_access"})
	first := h.exchange(c, "conf", confSecret, "")
	if first.Status != 200 {
		t.Fatalf("first use %+v", first)
	}
	second := h.exchange(c, "conf", confSecret, "")
	if second.Status != 400 || second.Error != "invalid_grant" || second.AccessToken != "" {
		t.Fatalf("second use %+v", second)
	}
	if h.introspect(first.AccessToken) {
		t.Fatal("the first exchange's access token survived the replay")
	}
	if r := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, "conf", confSecret); r.Status != 400 {
		t.Fatalf("the first exchange's refresh token survived the replay: %+v", r)
	}
	// The callback URL of a completed request mints no second code.
	u := h.authorizeURL(map[string]string{"client_id": "conf"})
	resp, _ := b.get(u)
	login, _ := b.get(resp.Header.Get("Location"))
	cb, _ := login.Request.URL.Parse(login.Header.Get("Location"))
	r1, _ := b.get(cb.String())
	r2, _ := b.get(cb.String())
	if !strings.Contains(r1.Header.Get("Location"), "code=") || strings.Contains(r2.Header.Get("Location"), "code=") {
		t.Fatalf("callback replay: %s then %s", r1.Header.Get("Location"), r2.Header.Get("Location"))
	}
}

func TestExpiredCode(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	c := b.code(map[string]string{"client_id": "conf"})
	h.advance(61 * time.Second)
	if tr := h.exchange(c, "conf", confSecret, ""); tr.Status != 400 || tr.Error != "invalid_grant" {
		t.Fatalf("expired code: %+v", tr)
	}
	// An authorization request left too long is gone too.
	u := h.authorizeURL(map[string]string{"client_id": "conf"})
	resp, _ := b.get(u)
	h.advance(16 * time.Minute)
	end, _ := b.follow(resp.Header.Get("Location"))
	if end.Query().Get("code") != "" {
		t.Fatalf("an expired authorization request produced a code: %s", end)
	}
}

func TestClientAuthentication(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	for name, secret := range map[string]string{"wrong secret": "conf-secret-0123456789abcdeX", "empty": ""} {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {b.code(map[string]string{"client_id": "conf"})}, "redirect_uri": {h.redirect}}
		var tr tokenResponse
		if secret == "" {
			tr = h.tokenRequest(f, "conf", "")
		} else {
			tr = h.tokenRequest(f, "conf", secret)
		}
		if tr.Status/100 != 4 || tr.AccessToken != "" {
			t.Errorf("%s: %+v", name, tr)
		}
	}
	// client_secret_post works as well as Basic.
	f := url.Values{"grant_type": {"authorization_code"}, "code": {b.code(map[string]string{"client_id": "conf"})}, "redirect_uri": {h.redirect},
		"client_secret": {confSecret}}
	if tr := h.tokenRequest(f, "conf", ""); tr.Status != 200 {
		t.Errorf("client_secret_post: %+v", tr)
	}
	// A public client cannot be impersonated by a confidential one's code.
	code := b.code(map[string]string{"client_id": "conf"})
	if tr := h.exchange(code, "spa", "", "x"); tr.Status != 400 {
		t.Errorf("another client's code: %+v", tr)
	}
}

// TestNonceReplay: the ID token carries exactly its request's nonce, and a nonce sent
// again is refused before any sign-in.
func TestNonceReplay(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	c1 := b.code(map[string]string{"client_id": "conf", "nonce": "nonce-A"})
	c2 := b.code(map[string]string{"client_id": "conf", "nonce": "nonce-B"})
	for c, want := range map[string]string{c1: "nonce-A", c2: "nonce-B"} {
		tr := h.exchange(c, "conf", confSecret, "")
		if got := h.verifyJWT(tr.IDToken)["nonce"]; got != want {
			t.Errorf("nonce %v, want %s", got, want)
		}
	}
	end, _ := b.follow(h.authorizeURL(map[string]string{"client_id": "conf", "nonce": "nonce-A"}))
	if end.Query().Get("error") != "invalid_request" || end.Query().Get("code") != "" {
		t.Fatalf("replayed nonce: %s", end)
	}
}

// TestFreshSignIn: prompt=login and max_age send a signed-in browser to re-authenticate
// with its passkey, and auth_time moves.
func TestFreshSignIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	first := h.verifyJWT(h.exchange(b.code(map[string]string{"client_id": "conf"}), "conf", confSecret, "").IDToken)
	h.advance(3 * time.Second)
	for name, p := range map[string]map[string]string{
		"prompt=login": {"client_id": "conf", "prompt": "login"},
		"max_age=1":    {"client_id": "conf", "max_age": "1"},
	} {
		end, _ := b.follow(h.authorizeURL(p))
		if end.Path != "/" || end.Query().Get("reauth") != "1" {
			t.Fatalf("%s: not asked to re-authenticate: %s", name, end)
		}
		b.reauth()
		end, _ = b.follow(h.issuer + "/return?rd=" + url.QueryEscape(end.Query().Get("rd")))
		if end.Path != "/cb" || end.Query().Get("code") == "" {
			t.Fatalf("%s: after re-authentication: %s", name, end)
		}
		id := h.verifyJWT(h.exchange(end.Query().Get("code"), "conf", confSecret, "").IDToken)
		if id["auth_time"].(float64) <= first["auth_time"].(float64) || id["sid"] != first["sid"] {
			t.Errorf("%s: auth_time %v (was %v), sid %v (was %v)", name, id["auth_time"], first["auth_time"], id["sid"], first["sid"])
		}
		h.advance(3 * time.Second)
	}
	// prompt=none without a session answers login_required to the client.
	anon := h.browser()
	end, _ := anon.follow(h.authorizeURL(map[string]string{"client_id": "conf", "prompt": "none"}))
	if end.Path != "/cb" || end.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none: %s", end)
	}
}

// TestLogout: RP-initiated logout with an id_token_hint ends the passkeyd session and
// returns to the registered post-logout URI.
func TestLogout(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	tr := h.exchange(b.code(map[string]string{"client_id": "conf"}), "conf", confSecret, "")
	q := url.Values{"id_token_hint": {tr.IDToken}, "post_logout_redirect_uri": {h.issuer + "/bye"}, "state": {"s1"}}
	end, _ := b.follow(h.issuer + "/oidc/end_session?" + q.Encode())
	if end.Path != "/bye" || end.Query().Get("state") != "s1" {
		t.Fatalf("logout ended at %s", end)
	}
	resp, _ := b.get(h.issuer + "/api/v1/session")
	if resp.StatusCode != 401 {
		t.Fatalf("session after logout: %d", resp.StatusCode)
	}
	// An unregistered post-logout URI is not followed.
	b.signIn()
	q.Set("post_logout_redirect_uri", "https://evil.example/")
	resp, _ = b.get(h.issuer + "/oidc/end_session?" + q.Encode())
	if strings.HasPrefix(resp.Header.Get("Location"), "https://evil.example") {
		t.Fatal("followed an unregistered post_logout_redirect_uri")
	}
}

func TestRevocation(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signUp("alice")
	tr := h.exchange(b.code(map[string]string{"client_id": "conf", "scope": "openid offline_access"}), "conf", confSecret, "")
	req, _ := http.NewRequest(http.MethodPost, h.issuer+"/oidc/revoke", strings.NewReader(url.Values{"token": {tr.RefreshToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("conf", confSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	resp.Body.Close()
	if r := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, "conf", confSecret); r.Status != 400 {
		t.Fatalf("revoked refresh token works: %+v", r)
	}
	if h.introspect(tr.AccessToken) {
		t.Fatal("access token of a revoked grant is active")
	}
}

// TestAdminClients: an operator adds a client at run time, it signs a user in, and once
// removed it can neither start a flow nor refresh.
func TestAdminClients(t *testing.T) {
	h := newHarness(t)
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, h.issuer+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out := map[string]any{}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, out := call(http.MethodPost, "/admin/v1/oidc/clients", `{"id":"wiki","redirectURIs":["`+h.redirect+`"],"scopes":["openid","offline_access"]}`)
	secret, _ := out["secret"].(string)
	if status != 201 || len(secret) < 40 {
		t.Fatalf("add: %d %v", status, out)
	}
	for _, bad := range []string{
		`{"id":"w2","redirectURIs":["https://*.example.com/cb"]}`,
		`{"id":"w3","redirectURIs":["http://example.com/cb"]}`,
		`{"id":"w4","public":true,"secret":"x","redirectURIs":["https://a.example/cb"]}`,
		`{"id":"w5","redirectURIs":["https://a.example/cb"],"scopes":["openid","email"]}`,
		`{"id":"bad id","redirectURIs":["https://a.example/cb"]}`,
	} {
		if status, out := call(http.MethodPost, "/admin/v1/oidc/clients", bad); status != 400 || out["code"] != "invalid_request" {
			t.Errorf("%s: %d %v", bad, status, out)
		}
	}
	if status, _ := call(http.MethodPost, "/admin/v1/oidc/clients", `{"id":"conf","redirectURIs":["https://a.example/cb"]}`); status != 409 {
		t.Errorf("configured id taken: %d", status)
	}
	status, out = call(http.MethodGet, "/admin/v1/oidc/clients", "")
	var ids []string
	for _, c := range out["clients"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
		if _, leaked := c.(map[string]any)["secret"]; leaked {
			t.Error("list shows a secret")
		}
	}
	if status != 200 || !slices.Equal(ids, []string{"conf", "spa", "wiki"}) {
		t.Fatalf("list: %d %v", status, ids)
	}
	b := h.browser()
	b.signUp("alice")
	tr := h.exchange(b.code(map[string]string{"client_id": "wiki", "scope": "openid offline_access"}), "wiki", secret, "")
	if tr.Status != 200 {
		t.Fatalf("runtime client flow: %+v", tr)
	}
	if status, _ := call(http.MethodDelete, "/admin/v1/oidc/clients/wiki", ""); status != 204 {
		t.Fatalf("remove: %d", status)
	}
	if status, _ := call(http.MethodDelete, "/admin/v1/oidc/clients/conf", ""); status != 400 {
		t.Fatalf("remove a configured client: %d", status)
	}
	if r := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, "wiki", secret); r.Status/100 != 4 {
		t.Fatalf("removed client refreshed: %+v", r)
	}
	resp, _ := b.get(h.authorizeURL(map[string]string{"client_id": "wiki"}))
	if strings.Contains(resp.Header.Get("Location"), "/oidc/login") {
		t.Fatal("removed client started a flow")
	}
	if status, _ := call(http.MethodGet, "/admin/v1/oidc/clients", ""); status != 200 {
		t.Fatal(status)
	}
	req, _ := http.NewRequest(http.MethodGet, h.issuer+"/admin/v1/oidc/clients", nil)
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 401 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
}
