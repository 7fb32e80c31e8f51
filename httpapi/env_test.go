package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/keyring"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/ratelimit"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/token"
	"github.com/passkeyd/passkeyd/trust"
	"github.com/passkeyd/passkeyd/web"
	"github.com/passkeyd/passkeyd/webhook"
)

const origin = "http://localhost:8080"

// env is a passkeyd HTTP server on the in-memory stores, with a controllable clock.
type env struct {
	registry *prometheus.Registry
	t        testing.TB
	srv      *httptest.Server
	store    *memory.Store
	accounts *account.Service
	tokens   *token.Issuer
	mu       sync.Mutex
	now      time.Time
	// guesses counts the guessable factors the account service actually checked.
	guesses atomic.Int32
}

type envOptions struct {
	uv           string // top-level userVerification policy
	counter      string
	algorithms   []int64
	attestation  string
	db           passkeyd.Store // nil: the in-memory store
	rateLimit    float64
	rateBurst    int
	log          *slog.Logger
	noRecovery   bool
	noPasswords  bool
	noTOTP       bool
	secondFactor bool
	cors         []string
	accountLimit float64
	reauthWindow time.Duration
	passwords    *password.Hasher // nil: testHasher
	keys         *keyring.Keyring
	timeout      time.Duration // request timeout; 0: the default
	loginURL     string
	cookieDomain string
	webhookURL   string       // set: webhooks to it, from a worker that gives up after 2 attempts
	trust        trust.Policy // attestation trust policy of every profile
	anchors      trust.Anchors
	conformance  bool // FIDO2 conformance API
	tracing      bool // a server span per request
	aaguids      trust.AAGUIDList
	apps         httpapi.Apps
	tokenCache   int // token.Config.CacheSize
}

func newEnv(t testing.TB, opts ...func(*envOptions)) *env {
	o := envOptions{uv: "preferred", counter: "refuse", algorithms: []int64{-7, -8, -257}, attestation: "none"}
	for _, f := range opts {
		f(&o)
	}
	e := &env{t: t, store: memory.NewStore(), now: time.Now(), registry: prometheus.NewRegistry()}
	var db passkeyd.Store = e.store
	if o.db != nil {
		db = o.db
	}
	challenges := memory.NewChallenges()
	t.Cleanup(func() { challenges.Close() })
	rp, err := ceremony.New(ceremony.Config{
		RPID: "localhost", RPName: "passkeyd test", Origins: []string{origin},
		Algorithms: o.algorithms, Timeout: 5 * time.Minute, Attestation: o.attestation,
		Profile: func(att string) ceremony.Profile {
			if att == "platform" {
				return ceremony.Profile{ResidentKey: "required", UserVerification: "required", Trust: o.trust}
			}
			return ceremony.Profile{ResidentKey: "required", UserVerification: o.uv, Trust: o.trust}
		},
		Trust: o.anchors,
	})
	if err != nil {
		t.Fatal(err)
	}
	var worker *webhook.Worker
	var deliveries func(*passkeyd.AuditEvent) []*passkeyd.WebhookDelivery
	if o.webhookURL != "" {
		deliveries = (&webhook.Publisher{URLs: []string{o.webhookURL}}).Deliveries
		worker = webhook.NewWorker(db, webhook.Config{Secret: webhookSecret, Timeout: time.Second, PollInterval: 10 * time.Millisecond,
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxAttempts: 2, Metrics: webhook.NewMetrics(e.registry)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { worker.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	lockouts := lockout(e.clock)
	var conformance *ceremony.RP
	if o.conformance {
		conformance, err = ceremony.New(ceremony.Config{
			RPID: "localhost", RPName: "passkeyd test", Origins: []string{origin},
			Algorithms: []int64{-7, -35, -36, -8, -257, -258, -259, -37, -38, -39, -65535}, Timeout: 5 * time.Minute,
			Profile: func(string) ceremony.Profile {
				return ceremony.Profile{ResidentKey: "discouraged", UserVerification: "preferred", Trust: trust.Policy{Mode: trust.Roots}}
			},
			Trust: o.anchors, Conformance: true,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	e.accounts, err = account.New(context.Background(), db, challenges, rp, account.Config{Webhooks: deliveries, Conformance: conformance, SessionTTL: time.Hour, ReauthWindow: o.reauthWindow, CounterPolicy: o.counter, RecoveryCodes: !o.noRecovery, Passwords: o.hasher(), Keys: o.keys, TOTP: !o.noTOTP, PasskeySecondFactor: o.secondFactor, Lockout: lockouts, OnGuess: func(string) { e.guesses.Add(1) }, AccountLimiter: accountLimiter(o.accountLimit, e.clock), OnEvent: httpapi.EventCounter(e.registry), OnAttestationFailure: httpapi.AttestationFailureCounter(e.registry),
		AAGUIDs: &trust.AAGUIDPolicy{Configured: o.aaguids}}, o.log)
	if err != nil {
		t.Fatal(err)
	}
	e.accounts.Now = e.clock
	e.tokens, err = token.New(context.Background(), token.Config{Keys: db, Issuer: origin, Audience: []string{"apps"}, Rotation: time.Hour, CacheSize: o.tokenCache, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(httpapi.NewServer(httpapi.Deps{
		Accounts: e.accounts, Origins: []string{origin}, OpenAPI: []byte(`{"openapi":"3.1.0"}`),
		Checks:         map[string]func(context.Context) error{"database": db.Ping},
		Now:            e.clock,
		Web:            web.Handler(),
		RateLimit:      o.rateLimit,
		CORSOrigins:    o.cors,
		Metrics:        e.registry,
		AdminToken:     "test-admin-token-0123456789",
		Logger:         o.log,
		RateBurst:      o.rateBurst,
		RequestTimeout: o.timeout,
		Tokens:         e.tokens,
		LoginURL:       o.loginURL,
		CookieDomain:   o.cookieDomain,
		Webhooks:       worker,
		Apps:           o.apps,
		Tracing:        o.tracing,
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// counts snapshots the store, for "nothing changed" assertions.
func (e *env) counts() [3]int {
	u, p, s := e.store.Counts()
	return [3]int{u, p, s}
}

// client is one browser (cookie jar) or app (bearer token).
type client struct {
	e      *env
	hc     *http.Client
	bearer string
	origin string // Origin header on state-changing requests; "" sends none
}

func (e *env) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar}, origin: origin}
}

func (e *env) app() *client {
	return &client{e: e, hc: &http.Client{}}
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %s", r.body)
	}
	return m
}

func (c *client) do(method, path string, body any) result {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.origin != "" && method != http.MethodGet {
		req.Header.Set("Origin", c.origin)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: raw}
}

func (c *client) post(path string, body any) result { return c.do(http.MethodPost, path, body) }

// expectProblem asserts a problem+json answer with status and code.
func expectProblem(t testing.TB, r result, status int, code passkeyd.Code) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (%s): %s", r.status, status, code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	m := r.json(t)
	if m["code"] != string(code) {
		t.Fatalf("code %v, want %s: %s", m["code"], code, r.body)
	}
	if m["status"] != float64(status) || m["title"] == "" || m["type"] == "" {
		t.Fatalf("incomplete problem: %s", r.body)
	}
}

func expectStatus(t testing.TB, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// signUp registers a new account with a, returning the sign-up response.
func (c *client) signUp(a *softauthn.Authenticator, username string) map[string]any {
	c.e.t.Helper()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": username})
	expectStatus(c.e.t, opts, 200)
	cred, err := a.Register(opts.body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	r := c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)})
	expectStatus(c.e.t, r, 201)
	return r.json(c.e.t)
}

// login signs in with a, usernameless when username is "".
func (c *client) login(a *softauthn.Authenticator, username string) result {
	c.e.t.Helper()
	body := map[string]string{}
	if username != "" {
		body["username"] = username
	}
	opts := c.post("/api/v1/authentication/options", body)
	expectStatus(c.e.t, opts, 200)
	cred, err := a.Login(opts.body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)})
}

func newAuthenticator(t testing.TB, o softauthn.Options) *softauthn.Authenticator {
	t.Helper()
	a, err := softauthn.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// testHasher is cheap: argon2id's cost is not what these tests measure.
var testHasher = password.New(password.Params{Memory: 1024, Time: 1, Threads: 1})

func (o *envOptions) hasher() *password.Hasher {
	switch {
	case o.noPasswords:
		return nil
	case o.passwords != nil:
		return o.passwords
	}
	return testHasher
}

func accountLimiter(rate float64, now func() time.Time) ratelimit.Limiter {
	if l := ratelimit.NewLocal(rate, 3, now); l != nil {
		return l
	}
	return nil
}

func lockout(now func() time.Time) *account.Lockout {
	l := account.NewLockout()
	l.Now = now
	return l
}
