package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd/redis/redistest"
)

// TestLimitsFailSafeWhenRedisDies: with the limits shared through a real Redis that the test
// starts and then kills, the per-IP limit, the per-username limit and the lockout still
// refuse past their counts (with this instance's state), and /readyz and /metrics say that
// the limits are degraded.
func TestLimitsFailSafeWhenRedisDies(t *testing.T) {
	cases := []struct {
		name, limiter string
		env           map[string]string
		path          string
		body          string
		// allowed is how many answers after the kill are not the refusal: the local counts
		// start afresh (an outage costs up to one more allowance per instance).
		allowed int
		refusal string
	}{
		{"per-IP limit", "ip", map[string]string{"PASSKEYD_RATE_LIMIT": "0.01", "PASSKEYD_RATE_BURST": "3", "PASSKEYD_ACCOUNT_RATE_LIMIT": "0"},
			"/api/v1/authentication/options", `{}`, 3, "rate_limited"},
		{"per-username limit", "account", map[string]string{"PASSKEYD_RATE_LIMIT": "0", "PASSKEYD_ACCOUNT_RATE_LIMIT": "0.01", "PASSKEYD_ACCOUNT_RATE_BURST": "2"},
			"/api/v1/registration/options", `{"username":"zed"}`, 2, "rate_limited"},
		{"lockout", "lockout", map[string]string{"PASSKEYD_RATE_LIMIT": "0", "PASSKEYD_ACCOUNT_RATE_LIMIT": "0"},
			"/api/v1/password/login", `{"username":"ghost","password":"wrong guess"}`, 5, "account_locked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := redistest.StartSingle()
			redistest.Need(t, err)
			t.Cleanup(rd.Close)
			env := map[string]string{
				"PASSKEYD_ADDR":              fmt.Sprintf("localhost:%d", freePort(t)),
				"PASSKEYD_DATABASE_URL":      "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
				"PASSKEYD_REDIS_URL":         rd.URL,
				"PASSKEYD_ARGON2_MEMORY_KIB": "8192", "PASSKEYD_ARGON2_TIME": "1",
			}
			for k, v := range tc.env {
				env[k] = v
			}
			base := serveForTest(t, env)
			post := func() (int, string) {
				resp, err := http.Post(base+tc.path, "application/json", strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var p struct{ Code string }
				raw, _ := io.ReadAll(resp.Body)
				_ = json.Unmarshal(raw, &p)
				if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
					t.Fatalf("429 without Retry-After: %s", raw)
				}
				return resp.StatusCode, p.Code
			}
			if status, code := post(); status == 429 {
				t.Fatalf("first request refused (%s) while Redis is up", code)
			}
			if got := get(t, base+"/readyz"); !strings.Contains(got, `"limits":"shared"`) {
				t.Fatalf("readyz with Redis up: %s", got)
			}

			rd.Servers[0].Kill()
			for i := 0; i < tc.allowed; i++ {
				if status, code := post(); status == 429 {
					t.Fatalf("request %d after the kill refused (%s): the local count should allow %d", i+1, code, tc.allowed)
				}
			}
			if status, code := post(); status != 429 || code != tc.refusal {
				t.Fatalf("past the count with Redis dead: %d %s, want 429 %s (the limit failed open)", status, code, tc.refusal)
			}
			if got := get(t, base+"/readyz"); !strings.Contains(got, `"limits":"degraded: in-process (`+tc.limiter+`)"`) {
				t.Fatalf("readyz does not say the limit is degraded: %s", got)
			}
			metrics := get(t, base+"/metrics")
			for _, want := range []string{
				fmt.Sprintf(`passkeyd_limit_fallback_total{limiter=%q} %d`, tc.limiter, tc.allowed+1),
				fmt.Sprintf(`passkeyd_limit_degraded{limiter=%q} 1`, tc.limiter),
			} {
				if !strings.Contains(metrics, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = io.Copy(&b, resp.Body)
	return b.String()
}
