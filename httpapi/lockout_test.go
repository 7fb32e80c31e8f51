package httpapi_test

import (
	"encoding/base32"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/softauthn"
)

// TestLockout: five wrong guesses of a guessable factor lock the account's guessable factors
// with a growing pause; unknown usernames lock the same way (no enumeration); a passkey
// still signs in while locked.
func TestLockout(t *testing.T) {
	e := newEnv(t)
	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	c.signUp(a, "lee")
	expectStatus(t, c.do("PUT", "/api/v1/password", map[string]string{"newPassword": "lee's good passphrase"}), 204)
	guess := func(user, pw string) result {
		return e.browser().post("/api/v1/password/login", map[string]string{"username": user, "password": pw})
	}
	for _, user := range []string{"lee", "ghost"} {
		for i := 0; i < 5; i++ {
			expectProblem(t, guess(user, "wrong guess number"), 401, passkeyd.CodeInvalidCredentials)
		}
		r := guess(user, "lee's good passphrase")
		expectProblem(t, r, 429, passkeyd.CodeAccountLocked)
		if r.header.Get("Retry-After") != "60" {
			t.Fatalf("%s: Retry-After %q, want 60", user, r.header.Get("Retry-After"))
		}
	}
	// Recovery codes share the lock.
	expectProblem(t, e.browser().post("/api/v1/recovery/login", map[string]string{"username": "lee", "code": "AAAA-AAAA-AAAA-AAAA"}), 429, passkeyd.CodeAccountLocked)
	// A passkey is never locked out.
	expectStatus(t, e.browser().login(a, "lee"), 200)
	// After the pause the right password works and clears the failures.
	e.advance(61 * time.Second)
	expectStatus(t, guess("lee", "lee's good passphrase"), 200)
	// The next lockout lasts twice as long.
	for i := 0; i < 5; i++ {
		guess("lee", "wrong again")
	}
	if r := guess("lee", "lee's good passphrase"); r.header.Get("Retry-After") != "120" {
		t.Fatalf("second lockout Retry-After %q, want 120", r.header.Get("Retry-After"))
	}
}

// TestLockedOutSecondFactor: wrong TOTP codes lock the second factor too.
func TestLockedOutSecondFactor(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	c.post("/api/v1/password/signup", map[string]string{"username": "max", "password": "a perfectly fine passphrase"})
	enrol := c.post("/api/v1/totp", map[string]any{}).json(t)
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enrol["secret"].(string))
	expectStatus(t, c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())}), 200)
	token := func() string {
		return e.browser().post("/api/v1/password/login", map[string]string{"username": "max", "password": "a perfectly fine passphrase"}).json(t)["mfaToken"].(string)
	}
	for i := 0; i < 5; i++ {
		expectProblem(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": token(), "code": "000000"}), 401, passkeyd.CodeInvalidCredentials)
	}
	// Locked: the next password sign-in is refused before any code is asked for.
	expectProblem(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "max", "password": "a perfectly fine passphrase"}), 429, passkeyd.CodeAccountLocked)
	// After the pause, a right code signs in.
	e.advance(61 * time.Second)
	expectStatus(t, e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": token(), "code": account.TOTPCode(secret, e.clock())}), 200)
}
