package oidc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/oidc"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/token"
	"github.com/passkeyd/passkeyd/web"
)

const (
	confSecret = "conf-secret-0123456789abcdef"
	adminToken = "admin-token-0123456789abcdef"
)

// harness is a passkeyd server with the OpenID provider on in-memory stores, a clock that
// tests move forward, and the clients "conf" (confidential) and "spa" (public).
type harness struct {
	t        testing.TB
	issuer   string
	srv      *httptest.Server
	store    passkeyd.Store
	handlers []http.Handler
	direct   []string     // with several instances: each one's own URL
	active   atomic.Int32 // the instance that serves the next request
	accounts *account.Service
	tokens   *token.Issuer
	mu       sync.Mutex
	offset   time.Duration
	// redirect is the clients' callback; nothing listens there in HTTP-level tests.
	redirect string
}

type harnessOptions struct {
	tickets   passkeyd.TicketStore // nil: the in-memory challenge store's
	clients   []oidc.ClientConfig  // nil: conf and spa
	redirect  string               // the clients' callback; "": issuer + /cb
	listener  net.Listener         // nil: a fresh one on localhost
	passwords bool                 // the password fallback is on
	instances int                  // instances behind the one origin (1 when 0)
	store     passkeyd.Store       // nil: a memory store
	shared    sharedChallenges     // challenges and tickets; nil: in memory
	rp        string
}

type sharedChallenges interface {
	passkeyd.ChallengeStore
	passkeyd.TicketStore
}

func newHarness(t testing.TB, mods ...func(*harnessOptions)) *harness {
	o := harnessOptions{}
	for _, m := range mods {
		m(&o)
	}
	ln := o.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t}
	h.issuer = "http://localhost:" + portOf(ln.Addr().String())
	h.redirect = o.redirect
	if h.redirect == "" {
		h.redirect = h.issuer + "/cb"
	}
	var store passkeyd.Store = o.store
	if store == nil {
		store = memory.NewStore()
	}
	challenges := o.shared
	if challenges == nil {
		c := memory.NewChallenges()
		t.Cleanup(func() { c.Close() })
		challenges = c
	}
	var tickets passkeyd.TicketStore = challenges
	if o.tickets != nil {
		tickets = o.tickets
	}
	n := max(o.instances, 1)
	for i := range n {
		handler := h.instance(o, store, challenges, tickets)
		h.handlers = append(h.handlers, handler)
		if n > 1 { // each instance also directly, for requests that race across instances
			direct := httptest.NewServer(handler)
			t.Cleanup(direct.Close)
			h.direct = append(h.direct, direct.URL)
		}
		if i == 0 {
			h.store = store
		}
	}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.handlers[h.active.Load()].ServeHTTP(w, r)
	}))
	h.srv.Listener.Close()
	h.srv.Listener = ln
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return h
}

// instance is one passkeyd server (accounts, keys, provider, HTTP API) on the given
// stores; several on one store and one ticket store are several instances of a
// deployment behind one origin.
func (h *harness) instance(o harnessOptions, store passkeyd.Store, challenges passkeyd.ChallengeStore, tickets passkeyd.TicketStore) http.Handler {
	t := h.t
	rp, err := ceremony.New(ceremony.Config{
		RPID: "localhost", RPName: "passkeyd test", Origins: []string{h.issuer}, Algorithms: []int64{-7, -8, -257},
		Timeout: 5 * time.Minute, Attestation: "none",
		Profile: func(string) ceremony.Profile {
			return ceremony.Profile{ResidentKey: "required", UserVerification: "preferred"}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	acfg := account.Config{SessionTTL: time.Hour}
	if o.passwords {
		acfg.Passwords = password.New(password.Params{Memory: 1024, Time: 1, Threads: 1})
	}
	accounts, err := account.New(context.Background(), store, challenges, rp, acfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	accounts.Now = h.now
	t.Cleanup(accounts.Close)
	tokens, err := token.New(context.Background(), token.Config{Keys: store, Issuer: h.issuer, Audience: []string{h.issuer}, Rotation: time.Hour, Now: h.now})
	if err != nil {
		t.Fatal(err)
	}
	if h.accounts == nil {
		h.accounts, h.tokens = accounts, tokens
	}
	cc := o.clients
	if cc == nil {
		cc = []oidc.ClientConfig{
			{ID: "conf", Secret: confSecret, RedirectURIs: []string{h.redirect}, PostLogoutRedirectURIs: []string{h.issuer + "/bye"},
				Scopes: []string{"openid", "profile", "offline_access"}},
			{ID: "spa", Public: true, RedirectURIs: []string{h.redirect}, Scopes: []string{"openid", "profile", "offline_access"}},
		}
	}
	clients, err := oidc.NewClients(cc, store, h.now)
	if err != nil {
		t.Fatal(err)
	}
	p, err := oidc.New(oidc.Config{Issuer: h.issuer, Accounts: accounts, Tokens: tokens, Clients: clients, Grants: store,
		Tickets: tickets, Insecure: true, Now: h.now})
	if err != nil {
		t.Fatal(err)
	}
	return httpapi.NewServer(httpapi.Deps{
		Accounts: accounts, Origins: []string{h.issuer}, Web: web.Handler(), Tokens: tokens, Now: h.now,
		AdminToken: adminToken, OIDC: p.Handler(), OIDCClients: p.Clients(),
	})
}

// on routes the following requests to instance i.
func (h *harness) on(i int) { h.active.Store(int32(i)) }

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Now().Add(h.offset)
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.offset += d
	h.mu.Unlock()
}

// browser is a user agent with a cookie jar and a passkey; it never follows redirects, so
// tests see every hop.
type browser struct {
	h    *harness
	hc   *http.Client
	auth *softauthn.Authenticator
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, auth: softauthn.MustNew(softauthn.Options{Origin: h.issuer}), hc: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// api POSTs JSON as the sign-in page does.
func (b *browser) api(path string, body any) []byte {
	b.h.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, b.h.issuer+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", b.h.issuer)
	resp, err := b.hc.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		b.h.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
	return out
}

// signUp creates an account with a passkey and signs the browser in.
func (b *browser) signUp(username string) {
	b.h.t.Helper()
	opts := b.api("/api/v1/registration/options", map[string]string{"username": username})
	cred, err := b.auth.Register(opts)
	if err != nil {
		b.h.t.Fatal(err)
	}
	b.api("/api/v1/registration/verify", map[string]json.RawMessage{"credential": cred})
}

// signIn signs in with the passkey (a new session).
func (b *browser) signIn() {
	b.h.t.Helper()
	opts := b.api("/api/v1/authentication/options", map[string]string{})
	cred, err := b.auth.Login(opts)
	if err != nil {
		b.h.t.Fatal(err)
	}
	b.api("/api/v1/authentication/verify", map[string]json.RawMessage{"credential": cred})
}

// reauth re-authenticates the session with the passkey, as the page does on reauth=1.
func (b *browser) reauth() {
	b.h.t.Helper()
	opts := b.api("/api/v1/session/reauth/options", map[string]string{})
	cred, err := b.auth.Login(opts)
	if err != nil {
		b.h.t.Fatal(err)
	}
	b.api("/api/v1/session/reauth", map[string]json.RawMessage{"credential": cred})
}

// get fetches a URL and returns the response with its body read.
func (b *browser) get(u string) (*http.Response, string) {
	b.h.t.Helper()
	resp, err := b.hc.Get(u)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// follow follows redirects on passkeyd until the browser leaves it or lands on a page,
// and returns the last URL (a Location outside passkeyd, or the page it stopped on).
func (b *browser) follow(u string) (*url.URL, *http.Response) {
	b.h.t.Helper()
	for range 10 {
		resp, _ := b.get(u)
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc == "" {
			parsed, _ := url.Parse(u)
			return parsed, resp
		}
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			b.h.t.Fatal(err)
		}
		if next.Path == "/cb" || next.Path == "/" || next.Path == "/bye" || !strings.HasPrefix(next.String(), b.h.issuer) {
			return next, resp
		}
		u = next.String()
	}
	b.h.t.Fatal("redirect loop")
	return nil, nil
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = strings.Repeat("v", 20) + randomString()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

var seq struct {
	sync.Mutex
	n int
}

func randomString() string {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	b := make([]byte, 12)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz"[(seq.n*7+i*13+int(time.Now().UnixNano()>>uint(i)))%26]
	}
	return string(b) + time.Now().Format("150405.000000000")
}

// authorizeURL builds an authorization request.
func (h *harness) authorizeURL(params map[string]string) string {
	q := url.Values{"response_type": {"code"}, "scope": {"openid profile"}, "redirect_uri": {h.redirect}, "state": {"st-" + randomString()}, "nonce": {"n-" + randomString()}}
	for k, v := range params {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return h.issuer + "/oidc/authorize?" + q.Encode()
}

// code runs an authorization request for a signed-in browser and returns the code, after
// checking the state came back.
func (b *browser) code(params map[string]string) string {
	b.h.t.Helper()
	u := b.h.authorizeURL(params)
	state, _ := url.Parse(u)
	end, _ := b.follow(u)
	if end.Path != "/cb" {
		b.h.t.Fatalf("authorization ended at %s, not the client's callback", end)
	}
	if got := end.Query().Get("state"); got != state.Query().Get("state") {
		b.h.t.Fatalf("state %q, want %q (%s)", got, state.Query().Get("state"), end)
	}
	c := end.Query().Get("code")
	if c == "" {
		b.h.t.Fatalf("no code: %s", end)
	}
	return c
}

type tokenResponse struct {
	Status       int
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// tokenRequest posts to the token endpoint; clientID/secret go as HTTP Basic when secret
// is set, else client_id in the form.
func (h *harness) tokenRequest(form url.Values, clientID, secret string) tokenResponse {
	h.t.Helper()
	return h.tokenAt(h.issuer, form, clientID, secret)
}

// tokenAt is tokenRequest on the server at base (one instance, directly).
func (h *harness) tokenAt(base string, form url.Values, clientID, secret string) tokenResponse {
	h.t.Helper()
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	body, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(body, &tr)
	tr.Status = resp.StatusCode
	return tr
}

func (h *harness) exchange(code, clientID, secret, verifier string) tokenResponse {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {h.redirect}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return h.tokenRequest(f, clientID, secret)
}

// verifyJWT checks a token's signature against /.well-known/jwks.json and returns its claims.
func (h *harness) verifyJWT(tok string) map[string]any {
	h.t.Helper()
	resp, err := http.Get(h.issuer + "/.well-known/jwks.json")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		h.t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA})
	if err != nil {
		h.t.Fatalf("parse %q: %v", tok, err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		h.t.Fatalf("kid %q is not in the JWKS", parsed.Headers[0].KeyID)
	}
	claims := map[string]any{}
	if err := parsed.Claims(keys[0].Key, &claims); err != nil {
		h.t.Fatalf("signature: %v", err)
	}
	return claims
}

// bearer GETs a URL with an access token.
func bearer(u, tok string) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// introspect asks whether a token is active, as the confidential client.
func (h *harness) introspect(tok string) bool {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.issuer+"/oidc/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("conf", confSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("introspection: %d %s", resp.StatusCode, body)
	}
	return out.Active
}
