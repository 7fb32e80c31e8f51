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
