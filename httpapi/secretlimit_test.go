package httpapi_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
)

// TestSecretChecksLimitedPerSession: a signed-in session guessing its current password
// gets 5 tries, then 429 rate_limited with Retry-After (the handler, and so argon2, is not
// reached); after Retry-After one more try is allowed.
func TestSecretChecksLimitedPerSession(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	expectStatus(t, c.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"}), 201)
	guess := func(c *client) result {
		return c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a wrong guess", "newPassword": "the brand new passphrase"})
	}
	for i := 0; i < 5; i++ {
		expectProblem(t, guess(c), 401, passkeyd.CodeInvalidCredentials)
	}
	r := guess(c)
	expectProblem(t, r, 429, passkeyd.CodeRateLimited)
	if wait := expectRetryAfter(t, r); wait != 12 {
		t.Fatalf("Retry-After %d, want 12 (one try every 12 s)", wait)
	}
	// The right password is refused too: the limit is on trying, not on failing.
	expectProblem(t, c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a perfectly fine passphrase", "newPassword": "the brand new passphrase"}), 429, passkeyd.CodeRateLimited)
	// After Retry-After the session may try again — and meets the account lockout, which
	// the five wrong guesses engaged; once that pause is over, the right password works.
	e.advance(12 * time.Second)
	expectProblem(t, c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a perfectly fine passphrase", "newPassword": "the brand new passphrase"}), 429, passkeyd.CodeAccountLocked)
	e.advance(time.Minute)
	expectStatus(t, c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a perfectly fine passphrase", "newPassword": "the brand new passphrase"}), 204)
}

// TestSecretChecksLimitedPerAccount: more sessions of one account do not multiply the
// guesses — the account's own bucket (10) holds over all of them — and another account is
// not affected.
func TestSecretChecksLimitedPerAccount(t *testing.T) {
	e := newEnv(t)
	expectStatus(t, e.browser().post("/api/v1/password/signup", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"}), 201)
	session := func(user string) *client {
		c := e.browser()
		expectStatus(t, c.post("/api/v1/password/login", map[string]string{"username": user, "password": "a perfectly fine passphrase"}), 200)
		return c
	}
	guess := func(c *client) result {
		return c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a wrong guess", "newPassword": "the brand new passphrase"})
	}
	a, b, c := session("pat"), session("pat"), session("pat")
	// The first five wrong guesses are evaluated; then the account lockout refuses them.
	n := 0
	for i := 0; i < 5; i++ {
		for _, s := range []*client{a, b} {
			if n++; n <= 5 {
				expectProblem(t, guess(s), 401, passkeyd.CodeInvalidCredentials)
			} else {
				expectProblem(t, guess(s), 429, passkeyd.CodeAccountLocked)
			}
		}
	}
	r := guess(c) // a fresh session, but the account has spent its 10
	expectProblem(t, r, 429, passkeyd.CodeRateLimited)
	expectRetryAfter(t, r)
	if !strings.Contains(string(r.body), "account") {
		t.Fatalf("detail should name the account limit: %s", r.body)
	}
	expectStatus(t, e.browser().post("/api/v1/password/signup", map[string]string{"username": "sam", "password": "a perfectly fine passphrase"}), 201)
	expectProblem(t, guess(session("sam")), 401, passkeyd.CodeInvalidCredentials)
}

// TestTOTPConfirmLimited: confirming TOTP (a code checked for a signed-in session) draws
// from the same buckets.
func TestTOTPConfirmLimited(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	expectStatus(t, c.post("/api/v1/password/signup", map[string]string{"username": "tom", "password": "a perfectly fine passphrase"}), 201)
	secret := enrolTOTP(t, e, c)
	for i := 0; i < 5; i++ {
		expectProblem(t, c.post("/api/v1/totp/confirm", map[string]string{"code": "000000"}), 401, passkeyd.CodeInvalidCredentials)
	}
	r := c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())})
	expectProblem(t, r, 429, passkeyd.CodeRateLimited)
	expectRetryAfter(t, r)
	e.advance(12 * time.Second)
	expectStatus(t, c.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secret, e.clock())}), 200)
}

// TestAdminAuthFailureAuditedAndLogged: a wrong or missing operator token is refused,
// recorded as an audit event of no account with the client's address and user agent,
// counted, and logged — without the token that was presented.
func TestAdminAuthFailureAuditedAndLogged(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, func(o *envOptions) {
		o.log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const guess = "a-guessed-operator-token-XYZ123"
	wrong := e.app()
	wrong.bearer = guess
	expectProblem(t, wrong.do("GET", "/admin/v1/users/alice", nil), 401, passkeyd.CodeUnauthenticated)
	expectProblem(t, e.app().doWithHeader("GET", "/admin/v1/users?q=al", "User-Agent", "probe/1.0"), 401, passkeyd.CodeUnauthenticated)
	expectStatus(t, e.admin().do("GET", "/admin/v1/users?q=al", nil), 200)

	events, err := e.accounts.Activity(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var failed []*passkeyd.AuditEvent
	for _, ev := range events {
		if ev.Type == "admin_auth_failed" {
			failed = append(failed, ev)
		}
	}
	if len(failed) != 2 {
		t.Fatalf("%d admin_auth_failed events, want 2 (the right token is not one)", len(failed))
	}
	for _, ev := range failed {
		if ev.UserID != "" || ev.IP != "127.0.0.1" || ev.Outcome != "failure" || ev.Reason != string(passkeyd.CodeUnauthenticated) {
			t.Fatalf("event %+v", ev)
		}
	}
	if failed[0].UserAgent != "probe/1.0" { // newest first
		t.Fatalf("user agent %q not recorded", failed[0].UserAgent)
	}
	if got := metricValue(t, e, "passkeyd_account_events_total"); got < 2 {
		t.Fatalf("events metric %v", got)
	}
	logs.mu.Lock()
	out := logs.b.String()
	logs.mu.Unlock()
	if strings.Count(out, "operator authentication failed") != 2 {
		t.Fatalf("failed operator authentications not logged:\n%s", out)
	}
	if strings.Contains(out, guess) || strings.Contains(out, "test-admin-token-0123456789") {
		t.Fatal("a log line carries an operator token")
	}
}

// TestAdminRateLimitedPerIP: the operator API has its own per-IP bucket (20, then 5/s):
// exhausting it answers 429 with Retry-After, guessed tokens included, and leaves the
// public endpoints' bucket alone; the public bucket running dry does not lock the operator out.
func TestAdminRateLimitedPerIP(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rateLimit = 1; o.rateBurst = 2 })
	for i := 0; i < 20; i++ {
		expectStatus(t, e.admin().do("GET", "/admin/v1/users?q=al", nil), 200)
	}
	r := e.admin().do("GET", "/admin/v1/users?q=al", nil)
	expectProblem(t, r, 429, passkeyd.CodeRateLimited)
	expectRetryAfter(t, r)
	wrong := e.app()
	wrong.bearer = "a-guessed-operator-token-XYZ123"
	expectProblem(t, wrong.do("GET", "/admin/v1/users?q=al", nil), 429, passkeyd.CodeRateLimited)
	// The public bucket is untouched by the operator's requests...
	for i := 0; i < 2; i++ {
		expectStatus(t, e.app().post("/api/v1/authentication/options", map[string]any{}), 200)
	}
	expectProblem(t, e.app().post("/api/v1/authentication/options", map[string]any{}), 429, passkeyd.CodeRateLimited)
	// ...and its running dry does not block the operator once their own bucket refills.
	e.advance(time.Second)
	expectStatus(t, e.admin().do("GET", "/admin/v1/users?q=al", nil), 200)
}
