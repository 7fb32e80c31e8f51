package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/internal/faultnet"
	"github.com/passkeyd/passkeyd/postgres/pgtest"
)

// postgresThroughProxy gives the test a schema of its own on the test PostgreSQL and a
// faultnet proxy in front of it; it returns the database URL through the proxy.
func postgresThroughProxy(t *testing.T) (string, *faultnet.Proxy) {
	t.Helper()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faultnet.Listen(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	u.Host = proxy.Addr()
	return u.String(), proxy
}

// goroutines counts this process's goroutines outside the test proxy (whose own
// goroutines hold the stalled bytes) and the test's HTTP client.
func goroutines() int {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	n := 0
	for _, g := range strings.Split(b.String(), "\n\n") {
		if strings.TrimSpace(g) != "" && !strings.Contains(g, "internal/faultnet.") && !strings.Contains(g, "net/http.(*persistConn)") && !strings.Contains(g, "net/http.(*Transport)") {
			n++
		}
	}
	return n
}

// TestDatabaseStallFailsFast: PostgreSQL stops answering (the proxy in front of it forwards
// nothing, as across a partition or to a SIGSTOPped server). Requests that need it fail
// with 503 and Retry-After within a small multiple of PASSKEYD_DATABASE_TIMEOUT instead of
// the 10 s request deadline, and the goroutines they used come back: nothing piles up.
func TestDatabaseStallFailsFast(t *testing.T) {
	dbURL, proxy := postgresThroughProxy(t)
	const timeout = 500 * time.Millisecond
	port := freePort(t)
	base := serveForTest(t, map[string]string{
		"PASSKEYD_ADDR":               fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":       dbURL,
		"PASSKEYD_DATABASE_TIMEOUT":   timeout.String(),
		"PASSKEYD_RATE_LIMIT":         "0",
		"PASSKEYD_ACCOUNT_RATE_LIMIT": "0",
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
	options := func(i int) (int, string, time.Duration, error) {
		body := fmt.Sprintf(`{"username": "stall-%d"}`, i)
		req, _ := http.NewRequest("POST", base+"/api/v1/authentication/options", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", time.Since(start), err
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(start), nil
	}
	if code, _, _, err := options(0); err != nil || code != http.StatusOK {
		t.Fatalf("options before the stall: %d %v", code, err)
	}
	time.Sleep(200 * time.Millisecond)
	baseline := goroutines()

	proxy.Stall(true)
	const n = 40 // more than the pool's 10 connections
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, retryAfter, d, err := options(i)
			mu.Lock()
			defer mu.Unlock()
			slowest = max(slowest, d)
			if err != nil || code != http.StatusServiceUnavailable || retryAfter == "" {
				t.Errorf("request %d against a stalled database: %d Retry-After=%q %v, want 503 with Retry-After", i, code, retryAfter, err)
			}
		}()
	}
	wg.Wait()
	// An upper bound as a check that nothing hangs, not a performance assertion.
	if slowest > 3*timeout {
		t.Errorf("the slowest failure took %v; with a %v database timeout it should be well under %v", slowest, timeout, 3*timeout)
	}
	var now int
	deadline := time.Now().Add(5 * time.Second)
	for {
		client.CloseIdleConnections()
		if now = goroutines(); now <= baseline+5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("stall: %d requests failed, slowest %v; goroutines %d before, %d after", n, slowest.Round(time.Millisecond), baseline, now)
	if now > baseline+5 {
		t.Errorf("goroutines: %d before the stall, %d after its requests ended: something is still waiting on the database", baseline, now)
	}
	proxy.Stall(false)
	proxy.Reset()
	deadline = time.Now().Add(10 * time.Second)
	for {
		code, _, _, err := options(n + 1)
		if err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the stall ended: %d %v", code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
