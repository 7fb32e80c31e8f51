package httpapi_test

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

func TestUsernamelessLogin(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	signup := e.browser().signUp(a, "alice")

	c := e.browser()
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	expectStatus(t, opts, 200)
	pk := opts.json(t)["publicKey"].(map[string]any)
	if allow, ok := pk["allowCredentials"].([]any); !ok || len(allow) != 0 {
		t.Fatalf("allowCredentials %v, want []", pk["allowCredentials"])
	}
	if pk["rpId"] != "localhost" || pk["userVerification"] != "preferred" || pk["timeout"] != float64(300000) {
		t.Fatalf("options: %s", opts.body)
	}
	cred, err := a.Login(opts.body)
	if err != nil {
		t.Fatal(err)
	}
	r := c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)})
	expectStatus(t, r, 200)
	m := r.json(t)
	if field(m, "user", "id") != field(signup, "user", "id") || field(m, "session", "method") != "passkey" || field(m, "session", "token") == nil {
		t.Fatalf("login: %s", r.body)
	}
	if field(m, "passkey", "lastUsedAt") == nil {
		t.Fatal("lastUsedAt not set by the login")
	}
	if cookieOf(r) == nil {
		t.Fatal("no session cookie")
	}
	expectStatus(t, c.do("GET", "/api/v1/session", nil), 200)
	// The stored counter moved.
	list := c.do("GET", "/api/v1/passkeys", nil).json(t)["passkeys"].([]any)
	if list[0].(map[string]any)["lastUsedAt"] == nil {
		t.Fatal("lastUsedAt not stored")
	}
}

func TestUsernameLogin(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "alice")
	opts := e.browser().post("/api/v1/authentication/options", map[string]string{"username": "ALICE"})
	allow := opts.json(t)["publicKey"].(map[string]any)["allowCredentials"].([]any)
	if len(allow) != 1 || allow[0].(map[string]any)["id"] != softauthnID(a) {
		t.Fatalf("allowCredentials %v", allow)
	}
	if tr := allow[0].(map[string]any)["transports"].([]any); len(tr) != 2 {
		t.Fatalf("transports %v", tr)
	}
	// An app signs in with the bearer token form.
	app := e.app()
	r := app.login(a, "alice")
	expectStatus(t, r, 200)
	app.bearer = field(r.json(t), "session", "token").(string)
	expectStatus(t, app.do("GET", "/api/v1/passkeys", nil), 200)
}

// TestNoUsernameEnumeration: options for an unknown username look like a real user's and
// stay the same across calls.
func TestNoUsernameEnumeration(t *testing.T) {
	e := newEnv(t)
	e.browser().signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	get := func(name string) []any {
		r := e.browser().post("/api/v1/authentication/options", map[string]string{"username": name})
		expectStatus(t, r, 200)
		return r.json(t)["publicKey"].(map[string]any)["allowCredentials"].([]any)
	}
	ghost1, ghost2 := get("nobody"), get("NOBODY")
	if len(ghost1) == 0 || !reflect.DeepEqual(ghost1, ghost2) {
		t.Fatalf("decoys %v / %v: want a stable, non-empty list", ghost1, ghost2)
	}
	if reflect.DeepEqual(get("nobody"), get("someone-else")) {
		t.Fatal("every unknown username gets the same decoys")
	}
	real := get("alice")
	for _, d := range append(ghost1, real...) {
		m := d.(map[string]any)
		if m["type"] != "public-key" || m["id"] == "" || m["transports"] == nil {
			t.Fatalf("descriptor shape %v", m)
		}
	}
	// A decoy never signs anyone in.
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "mallory")
	opts := e.browser().post("/api/v1/authentication/options", map[string]string{"username": "nobody"})
	var o map[string]any
	_ = json.Unmarshal(opts.body, &o)
	// Mallory answers the options for "nobody" with her own credential.
	delete(o["publicKey"].(map[string]any), "allowCredentials")
	raw, _ := json.Marshal(o)
	cred, _ := a.Login(raw)
	expectProblem(t, e.browser().post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 401, passkeyd.CodeCredentialUnknown)
}

func TestLoginRefusals(t *testing.T) {
	zero := uint32(0)
	cases := []struct {
		name     string
		username string // options for this username ("" = discoverable)
		tamper   softauthn.Tamper
		status   int
		code     passkeyd.Code
	}{
		{"challenge never issued", "", softauthn.Tamper{Challenge: []byte("never issued by this server.....")}, 400, passkeyd.CodeChallengeUnknown},
		{"ceremony type", "", softauthn.Tamper{Type: "webauthn.create"}, 400, passkeyd.CodeCeremonyTypeMismatch},
		{"origin", "", softauthn.Tamper{Origin: "https://evil.example"}, 400, passkeyd.CodeOriginMismatch},
		{"top origin", "", softauthn.Tamper{TopOrigin: "https://evil.example"}, 400, passkeyd.CodeOriginMismatch},
		{"rp id hash", "", softauthn.Tamper{RPID: "evil.example"}, 400, passkeyd.CodeRPIDMismatch},
		{"user presence", "", softauthn.Tamper{ClearUP: true}, 400, passkeyd.CodeUserPresenceRequired},
		{"BS without BE", "", softauthn.Tamper{SetBS: true}, 400, passkeyd.CodeFlagsInvalid},
		{"BE changed", "", softauthn.Tamper{SetBE: true}, 400, passkeyd.CodeFlagsInvalid},
		{"signature", "", softauthn.Tamper{CorruptSignature: true}, 401, passkeyd.CodeSignatureInvalid},
		{"counter", "", softauthn.Tamper{SignCount: &zero}, 401, passkeyd.CodeCounterRegression},
		{"unknown credential", "", softauthn.Tamper{RawID: []byte("not registered")}, 401, passkeyd.CodeCredentialUnknown},
		{"userHandle missing on discoverable", "", softauthn.Tamper{OmitUserHandle: true}, 401, passkeyd.CodeUserHandleMismatch},
		{"userHandle of someone else", "", softauthn.Tamper{UserHandle: make([]byte, 32)}, 401, passkeyd.CodeUserHandleMismatch},
		{"userHandle of someone else, named", "alice", softauthn.Tamper{UserHandle: make([]byte, 32)}, 401, passkeyd.CodeUserHandleMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := newAuthenticator(t, softauthn.Options{})
			e.browser().signUp(a, "alice")
			c := e.browser()
			c.login(a, "") // counter 1 stored
			before := e.counts()
			body := map[string]string{}
			if tc.username != "" {
				body["username"] = tc.username
			}
			opts := c.post("/api/v1/authentication/options", body)
			cred, err := a.LoginWith(opts.body, tc.tamper)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), tc.status, tc.code)
			if e.counts() != before {
				t.Fatalf("refused login changed the store: %v → %v", before, e.counts())
			}
		})
	}
}

func TestUserVerificationPolicy(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.uv = "required" })
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "alice")
	c := e.browser()
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	if field(opts.json(t), "publicKey", "userVerification") != "required" {
		t.Fatalf("options: %s", opts.body)
	}
	cred, _ := a.LoginWith(opts.body, softauthn.Tamper{ClearUV: true})
	expectProblem(t, c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeUserVerificationRequired)
}

func TestCredentialOfAnotherUserWhenNamed(t *testing.T) {
	e := newEnv(t)
	alice, bob := newAuthenticator(t, softauthn.Options{}), newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(alice, "alice")
	e.browser().signUp(bob, "bob")
	// Options name bob; the response is made with alice's credential.
	opts := e.browser().post("/api/v1/authentication/options", map[string]string{"username": "bob"})
	var o map[string]any
	_ = json.Unmarshal(opts.body, &o)
	delete(o["publicKey"].(map[string]any), "allowCredentials")
	raw, _ := json.Marshal(o)
	cred, _ := alice.Login(raw)
	expectProblem(t, e.browser().post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 401, passkeyd.CodeCredentialUnknown)
}

func TestCrossCeremonyChallenge(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "alice")
	// Registration options' challenge used in an assertion.
	reg := e.browser().post("/api/v1/registration/options", map[string]string{"username": "zed"})
	var o map[string]any
	_ = json.Unmarshal(reg.body, &o)
	pk := o["publicKey"].(map[string]any)
	req, _ := json.Marshal(map[string]any{"challenge": pk["challenge"], "rpId": "localhost"})
	cred, _ := a.Login(req)
	expectProblem(t, e.browser().post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeChallengeUnknown)
}

func TestClonedAuthenticatorStaysRefused(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "alice")
	expectStatus(t, e.browser().login(a, ""), 200)
	expectStatus(t, e.browser().login(a, ""), 200) // counter 2
	c := e.browser()
	one := uint32(1)
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	cred, _ := a.LoginWith(opts.body, softauthn.Tamper{SignCount: &one})
	expectProblem(t, c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 401, passkeyd.CodeCounterRegression)
	// Even a well-behaved counter is refused now: the passkey is flagged.
	expectProblem(t, e.browser().login(a, ""), 401, passkeyd.CodeCounterRegression)
	p, err := e.store.Passkey(t.Context(), a.Credentials()[0].ID)
	if err != nil || !p.CloneWarning {
		t.Fatalf("passkey not flagged: %+v %v", p, err)
	}
}

func TestCounterPolicyWarn(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.counter = "warn" })
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "alice")
	expectStatus(t, e.browser().login(a, ""), 200)
	c := e.browser()
	zero := uint32(0)
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	cred, _ := a.LoginWith(opts.body, softauthn.Tamper{SignCount: &zero})
	expectStatus(t, c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 200)
	p, _ := e.store.Passkey(t.Context(), a.Credentials()[0].ID)
	if !p.CloneWarning || p.SignCount != 1 {
		t.Fatalf("warn policy: flagged=%v count=%d, want flagged and the counter kept at 1", p.CloneWarning, p.SignCount)
	}
}

func TestZeroCounterAuthenticators(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{ZeroCounter: true, BackupEligible: true, BackedUp: true})
	e.browser().signUp(a, "alice")
	for i := 0; i < 3; i++ {
		expectStatus(t, e.browser().login(a, ""), 200)
	}
}

func TestLoginReplayAndConcurrency(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	e.browser().signUp(a, "alice")
	opts := e.browser().post("/api/v1/authentication/options", map[string]any{})
	cred, _ := a.Login(opts.body)
	body, _ := json.Marshal(map[string]any{"credential": json.RawMessage(cred)})
	var wg sync.WaitGroup
	results := make(chan int, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- e.browser().post("/api/v1/authentication/verify", body).status
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for s := range results {
		if s == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent verifies of one assertion succeeded, want 1", ok)
	}
	expectProblem(t, e.browser().post("/api/v1/authentication/verify", body), 400, passkeyd.CodeChallengeUnknown)
}

func TestAuthenticationMalformed(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]any{
		"empty":           `{}`,
		"not JSON":        `nope`,
		"bad username":    map[string]any{"username": 7},
		"bad credential":  map[string]any{"credential": map[string]any{"id": "!!", "type": "public-key"}},
		"credential null": map[string]any{"credential": nil},
		"missing fields":  map[string]any{"credential": map[string]any{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": map[string]any{}}},
	} {
		t.Run(name, func(t *testing.T) {
			path := "/api/v1/authentication/verify"
			if name == "bad username" {
				path = "/api/v1/authentication/options"
			}
			expectProblem(t, e.browser().post(path, body), 400, passkeyd.CodeInvalidRequest)
		})
	}
}
