package httpapi_test

import (
	"encoding/base32"
	"encoding/json"
	"strconv"
	"sync"
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

// TestLockoutConcurrentGuesses: 40 wrong password guesses sent at once for one account are
// not all evaluated: the check and the count are one step, so exactly MaxFailures (5) are
// checked against the password (401) and the other 35 get 429 account_locked with
// Retry-After — for a known username and an unknown one alike.
func TestLockoutConcurrentGuesses(t *testing.T) {
	for _, user := range []string{"lee", "ghost"} {
		t.Run(user, func(t *testing.T) {
			e := newEnv(t)
			if user == "lee" {
				expectStatus(t, e.browser().post("/api/v1/password/signup", map[string]string{"username": "lee", "password": "lee's good passphrase"}), 201)
			}
			byStatus := concurrentGuesses(e, user, 40)
			if byStatus[401] != 5 || byStatus[429] != 35 || len(byStatus) != 2 {
				t.Fatalf("answers by status %v; want 5×401 and 35×429", byStatus)
			}
			if n := e.guesses.Load(); n != 5 {
				t.Fatalf("%d passwords evaluated, want 5", n)
			}
			if user == "lee" {
				if n := auditCount(t, e, "sign_in_failed"); n != 5 {
					t.Fatalf("%d sign_in_failed audit events, want 5", n)
				}
			}
		})
	}
}

// concurrentGuesses sends n wrong password guesses for user at once and counts the answers
// by status, checking each refusal's code and Retry-After.
func concurrentGuesses(e *env, user string, n int) map[int]int {
	e.t.Helper()
	var mu sync.Mutex
	byStatus := map[int]int{}
	var wg sync.WaitGroup
	startLine := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		c := e.browser()
		go func() {
			defer wg.Done()
			<-startLine
			r := c.post("/api/v1/password/login", map[string]string{"username": user, "password": "wrong guess " + strconv.Itoa(i)})
			if r.status == 429 {
				var p map[string]any
				if json.Unmarshal(r.body, &p) != nil || p["code"] != string(passkeyd.CodeAccountLocked) || r.header.Get("Retry-After") == "" {
					e.t.Errorf("refusal without account_locked and Retry-After: %s %v", r.body, r.header)
				}
			}
			mu.Lock()
			byStatus[r.status]++
			mu.Unlock()
		}()
	}
	close(startLine)
	wg.Wait()
	return byStatus
}

// auditCount counts the audit events of type typ (summed over methods and outcomes).
func auditCount(t *testing.T, e *env, typ string) int {
	t.Helper()
	mfs, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if mf.GetName() != "passkeyd_account_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "type" && l.GetValue() == typ {
					n += int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return n
}
