package httpapi_test

import (
	"reflect"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

func TestPasswordSignUpLoginAndUpgrade(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	r := c.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": "a perfectly fine passphrase", "displayName": "Pat"})
	expectStatus(t, r, 201)
	m := r.json(t)
	if m["suggestPasskey"] != true || field(m, "session", "method") != "password" || field(m, "user", "displayName") != "Pat" || cookieOf(r) == nil {
		t.Fatalf("password sign-up: %s", r.body)
	}
	// Sign in with it: suggestPasskey while the account has none.
	r = e.browser().post("/api/v1/password/login", map[string]string{"username": "PAT", "password": "a perfectly fine passphrase"})
	expectStatus(t, r, 200)
	if r.json(t)["suggestPasskey"] != true {
		t.Fatalf("login: %s", r.body)
	}
	// The suggested upgrade: add a passkey on the password session — the account's first
	// authenticator, so it brings recovery codes; then no suggestion.
	added := c.addPasskey(newAuthenticator(t, softauthn.Options{}), "phone")
	expectStatus(t, added, 201)
	if codes := codesOf(t, added.json(t)); len(codes) != 10 {
		t.Fatalf("first passkey of a password account brought %d recovery codes", len(codes))
	}
	if second := c.addPasskey(newAuthenticator(t, softauthn.Options{}), "laptop"); second.json(t)["recoveryCodes"] != nil {
		t.Fatal("a second passkey brought new recovery codes")
	}
	r = e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"})
	if r.json(t)["suggestPasskey"] != false {
		t.Fatalf("suggestPasskey after adding one: %s", r.body)
	}
	// With a password the last passkey may be deleted: the password is a way in.
	for i := 0; i < 2; i++ {
		expectStatus(t, c.do("DELETE", "/api/v1/passkeys/"+softauthnIDFromList(t, c), nil), 204)
	}
}

func TestPasswordRefusals(t *testing.T) {
	e := newEnv(t)
	e.browser().post("/api/v1/password/signup", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"})
	before := e.counts()
	for name, tc := range map[string]struct {
		path   string
		body   map[string]string
		status int
		code   passkeyd.Code
	}{
		"wrong password":   {"/api/v1/password/login", map[string]string{"username": "pat", "password": "not the passphrase"}, 401, passkeyd.CodeInvalidCredentials},
		"unknown user":     {"/api/v1/password/login", map[string]string{"username": "nobody", "password": "a perfectly fine passphrase"}, 401, passkeyd.CodeInvalidCredentials},
		"invalid username": {"/api/v1/password/login", map[string]string{"username": "a", "password": "x"}, 401, passkeyd.CodeInvalidCredentials},
		"taken":            {"/api/v1/password/signup", map[string]string{"username": "PAT", "password": "another fine passphrase"}, 409, passkeyd.CodeUsernameTaken},
		"too short":        {"/api/v1/password/signup", map[string]string{"username": "sam", "password": "short"}, 400, passkeyd.CodeInvalidRequest},
		"common":           {"/api/v1/password/signup", map[string]string{"username": "sam", "password": "password1"}, 400, passkeyd.CodeInvalidRequest},
		"bad username":     {"/api/v1/password/signup", map[string]string{"username": "s m", "password": "a perfectly fine passphrase"}, 400, passkeyd.CodeInvalidRequest},
	} {
		t.Run(name, func(t *testing.T) {
			expectProblem(t, e.browser().post(tc.path, tc.body), tc.status, tc.code)
		})
	}
	if e.counts() != before {
		t.Fatal("refused password requests changed the store")
	}
	// A passkey-only account has no password to guess: same answer.
	e.browser().signUp(newAuthenticator(t, softauthn.Options{}), "paula")
	expectProblem(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "paula", "password": "anything at all"}), 401, passkeyd.CodeInvalidCredentials)
}

func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	c.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"})
	expectProblem(t, c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "wrong one here", "newPassword": "the brand new passphrase"}), 401, passkeyd.CodeInvalidCredentials)
	expectProblem(t, c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a perfectly fine passphrase", "newPassword": "123456789"}), 400, passkeyd.CodeInvalidRequest)
	expectStatus(t, c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a perfectly fine passphrase", "newPassword": "the brand new passphrase"}), 204)
	expectProblem(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"}), 401, passkeyd.CodeInvalidCredentials)
	expectStatus(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "the brand new passphrase"}), 200)
	expectProblem(t, e.app().do("PUT", "/api/v1/password", map[string]string{"newPassword": "whatever passphrase"}), 401, passkeyd.CodeUnauthenticated)
	// A passkey account sets its first password without a current one.
	p := e.browser()
	p.signUp(newAuthenticator(t, softauthn.Options{}), "petra")
	expectStatus(t, p.do("PUT", "/api/v1/password", map[string]string{"newPassword": "petra's first passphrase"}), 204)
	expectStatus(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "petra", "password": "petra's first passphrase"}), 200)
}

// TestLoginMethodsRevealNothing: every username gets the same answer.
func TestLoginMethodsRevealNothing(t *testing.T) {
	e := newEnv(t)
	e.browser().signUp(newAuthenticator(t, softauthn.Options{}), "passkeyonly")
	e.browser().post("/api/v1/password/signup", map[string]string{"username": "pwonly", "password": "a perfectly fine passphrase"})
	var answers [][]any
	for _, u := range []string{"passkeyonly", "pwonly", "nobody"} {
		r := e.browser().post("/api/v1/login/methods", map[string]string{"username": u})
		expectStatus(t, r, 200)
		answers = append(answers, r.json(t)["methods"].([]any))
	}
	if !reflect.DeepEqual(answers[0], answers[1]) || !reflect.DeepEqual(answers[1], answers[2]) || len(answers[0]) != 2 {
		t.Fatalf("answers differ or miss a method: %v", answers)
	}
	expectProblem(t, e.browser().post("/api/v1/login/methods", map[string]string{"username": "x"}), 400, passkeyd.CodeInvalidRequest)
}

func TestPasswordsDisabled(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.noPasswords = true })
	expectProblem(t, e.browser().post("/api/v1/password/signup", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"}), 404, passkeyd.CodeNotFound)
	expectProblem(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "x"}), 404, passkeyd.CodeNotFound)
	r := e.browser().post("/api/v1/login/methods", map[string]string{"username": "pat"})
	if m := r.json(t)["methods"].([]any); len(m) != 1 || m[0] != "passkey" {
		t.Fatalf("methods %v", m)
	}
}
