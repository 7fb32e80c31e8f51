package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

// TestPasskeyAsSecondFactor is the "passkeys as second factor" deployment: a password signs
// in only together with a passkey, and a passkey alone neither signs in nor signs up.
func TestPasskeyAsSecondFactor(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.secondFactor = true })
	c := e.browser()
	expectStatus(t, c.post("/api/v1/password/signup", map[string]string{"username": "sue", "password": "a perfectly fine passphrase"}), 201)
	a := newAuthenticator(t, softauthn.Options{})
	expectStatus(t, c.addPasskey(a, "key"), 201)
	// Passkey-only sign-up and sign-in are refused.
	expectProblem(t, e.browser().post("/api/v1/registration/options", map[string]string{"username": "solo"}), 400, passkeyd.CodeInvalidRequest)
	expectProblem(t, e.browser().login(a, ""), 401, passkeyd.CodeUnauthenticated)

	// The password asks for the passkey.
	r := e.browser().post("/api/v1/password/login", map[string]string{"username": "sue", "password": "a perfectly fine passphrase"})
	expectProblem(t, r, 401, passkeyd.CodeMFARequired)
	m := r.json(t)
	if methods := m["methods"].([]any); methods[0] != "passkey" {
		t.Fatalf("methods %v", methods)
	}
	token := m["mfaToken"].(string)
	b := e.browser()
	opts := b.post("/api/v1/authentication/options", map[string]string{"mfaToken": token})
	expectStatus(t, opts, 200)
	if allow := field(opts.json(t), "publicKey", "allowCredentials").([]any); len(allow) != 1 {
		t.Fatalf("allowCredentials %v", allow)
	}
	cred, _ := a.Login(opts.body)
	// Such an assertion is no primary sign-in...
	expectProblem(t, e.browser().post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)}), 401, passkeyd.CodeUnauthenticated)
	// ...the options again for a fresh assertion, completed at /mfa/verify.
	opts = b.post("/api/v1/authentication/options", map[string]string{"mfaToken": token})
	cred, _ = a.Login(opts.body)
	r = b.post("/api/v1/mfa/verify", map[string]any{"mfaToken": token, "credential": json.RawMessage(cred)})
	expectStatus(t, r, 200)
	if field(r.json(t), "session", "method") != "mfa" {
		t.Fatalf("second factor sign-in: %s", r.body)
	}
	// The token is spent.
	expectProblem(t, b.post("/api/v1/authentication/options", map[string]string{"mfaToken": token}), 401, passkeyd.CodeUnauthenticated)
}

// TestSecondFactorChallengeIsNotAPrimaryLogin: a passkey assertion made for one user's
// second step cannot complete another user's.
func TestSecondFactorIsBoundToItsSignIn(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.secondFactor = true })
	c := e.browser()
	c.post("/api/v1/password/signup", map[string]string{"username": "sue", "password": "a perfectly fine passphrase"})
	a := newAuthenticator(t, softauthn.Options{})
	c.addPasskey(a, "key")
	bob := newAuthenticator(t, softauthn.Options{})
	d := e.browser()
	d.post("/api/v1/password/signup", map[string]string{"username": "dan", "password": "another fine passphrase"})
	d.addPasskey(bob, "key")
	// Dan's token cannot complete with options made for Sue's sign-in.
	sue := e.browser().post("/api/v1/password/login", map[string]string{"username": "sue", "password": "a perfectly fine passphrase"}).json(t)["mfaToken"].(string)
	dan := e.browser().post("/api/v1/password/login", map[string]string{"username": "dan", "password": "another fine passphrase"}).json(t)["mfaToken"].(string)
	opts := e.browser().post("/api/v1/authentication/options", map[string]string{"mfaToken": sue})
	cred, _ := a.Login(opts.body)
	expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]any{"mfaToken": dan, "credential": json.RawMessage(cred)}), 400, passkeyd.CodeChallengeUnknown)
}
