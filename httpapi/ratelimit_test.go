package httpapi_test

import (
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func TestRateLimitPerIP(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rateLimit, o.rateBurst = 1, 3 })
	c := e.browser()
	for i := 0; i < 3; i++ {
		expectStatus(t, c.post("/api/v1/authentication/options", map[string]any{}), 200)
	}
	r := c.post("/api/v1/authentication/options", map[string]any{})
	expectProblem(t, r, 429, passkeyd.CodeRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// Every unauthenticated endpoint shares the bucket; health checks are not limited.
	expectProblem(t, c.post("/api/v1/registration/options", map[string]string{"username": "zed"}), 429, passkeyd.CodeRateLimited)
	expectProblem(t, c.post("/api/v1/authentication/verify", map[string]any{}), 429, passkeyd.CodeRateLimited)
	expectStatus(t, c.do("GET", "/healthz", nil), 200)
	// Tokens come back at the configured rate.
	e.advance(2 * time.Second)
	expectStatus(t, c.post("/api/v1/authentication/options", map[string]any{}), 200)
}

// TestRateLimitPerAccount: requests naming one username are limited whatever address they
// come from (burst 3 here); other usernames are not affected.
func TestRateLimitPerAccount(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.accountLimit = 1 })
	for i := 0; i < 3; i++ {
		expectStatus(t, e.browser().post("/api/v1/authentication/options", map[string]string{"username": "target"}), 200)
	}
	r := e.browser().post("/api/v1/password/login", map[string]string{"username": "TARGET", "password": "whatever it is"})
	expectProblem(t, r, 429, passkeyd.CodeRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	expectStatus(t, e.browser().post("/api/v1/authentication/options", map[string]string{"username": "someone"}), 200)
	expectStatus(t, e.browser().post("/api/v1/authentication/options", map[string]any{}), 200) // usernameless: no account
	e.advance(2 * time.Second)
	expectStatus(t, e.browser().post("/api/v1/authentication/options", map[string]string{"username": "target"}), 200)
}
