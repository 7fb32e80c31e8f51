package httpapi_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/password"
)

// slowParams make one hash take about half a second: long enough for a test to see the
// only slot busy, and for a request deadline to pass while it waits.
var slowParams = password.Params{Memory: 64 * 1024, Time: 6, Threads: 1}

// importCheap creates a password account whose stored hash has cheap parameters: verifying
// it is quick even on a hasher whose own (slow) parameters the holder uses.
func importCheap(t *testing.T, e *env, username, pw string) {
	t.Helper()
	hash, err := testHasher.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.accounts.Import(context.Background(), account.ImportRecord{Username: username, PasswordHash: hash}, account.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// holdSlot runs one slow hash in the background and returns once it is computing.
func holdSlot(t *testing.T, h *password.Hasher) (wait func()) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = h.Hash(context.Background(), "the holder")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for h.Stats().Running == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the holder never started hashing")
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(wg.Wait)
	return wg.Wait
}

func expectRetryAfter(t *testing.T, r result) int {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q, want a positive number of seconds", r.header.Get("Retry-After"))
	}
	return n
}

// TestPasswordHashingSaturated: with every hashing slot busy and no room to wait, password
// sign-in, sign-up and change answer 503 unavailable with Retry-After at once (instead of
// queueing without bound), nothing is stored, the refusal is counted, and the same
// requests succeed once the slot is free.
func TestPasswordHashingSaturated(t *testing.T) {
	slow := password.NewLimited(slowParams, password.Limits{Concurrency: 1, Queue: -1})
	e := newEnv(t, func(o *envOptions) { o.passwords = slow })
	httpapi.PasswordQueueMetrics(e.registry, slow)
	importCheap(t, e, "pat", "a perfectly fine passphrase")
	c := e.browser()
	expectStatus(t, c.post("/api/v1/password/login", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"}), 200)

	done := holdSlot(t, slow)
	before := e.counts()
	start := time.Now()
	for name, r := range map[string]result{
		"sign-in":        e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"}),
		"unknown user":   e.browser().post("/api/v1/password/login", map[string]string{"username": "nobody", "password": "a perfectly fine passphrase"}),
		"sign-up":        e.browser().post("/api/v1/password/signup", map[string]string{"username": "sam", "password": "a perfectly fine passphrase"}),
		"change":         c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "a perfectly fine passphrase", "newPassword": "the brand new passphrase"}),
		"wrong password": c.do("PUT", "/api/v1/password", map[string]string{"currentPassword": "not the passphrase", "newPassword": "the brand new passphrase"}),
	} {
		t.Run(name, func(t *testing.T) {
			expectProblem(t, r, 503, passkeyd.CodeUnavailable)
			expectRetryAfter(t, r)
		})
	}
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Fatalf("refusals took %v: a full queue must answer at once", d)
	}
	if e.counts() != before {
		t.Fatal("a refused request changed the store")
	}
	if s := slow.Stats(); s.Rejected != 5 || s.Running != 1 {
		t.Fatalf("stats %+v, want 5 refusals and the holder running", s)
	}
	if got := metricValue(t, e, "passkeyd_password_hashes_rejected_total"); got != 5 {
		t.Fatalf("rejected metric %v, want 5", got)
	}
	done()
	// A refusal is not a failure: the password still works, and the change goes through.
	expectStatus(t, e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"}), 200)
}

// TestPasswordHashingDeadline: a request that waits for a slot gives up at its deadline
// with 503 unavailable and Retry-After, rather than holding its connection.
func TestPasswordHashingDeadline(t *testing.T) {
	slow := password.NewLimited(slowParams, password.Limits{Concurrency: 1, Queue: 4})
	e := newEnv(t, func(o *envOptions) { o.passwords = slow; o.timeout = 100 * time.Millisecond })
	importCheap(t, e, "pat", "a perfectly fine passphrase")
	holdSlot(t, slow)
	start := time.Now()
	r := e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": "a perfectly fine passphrase"})
	elapsed := time.Since(start)
	expectProblem(t, r, 503, passkeyd.CodeUnavailable)
	expectRetryAfter(t, r)
	if elapsed < 90*time.Millisecond || elapsed > 450*time.Millisecond {
		t.Fatalf("answered after %v; want about the 100ms deadline", elapsed)
	}
	if s := slow.Stats(); s.Waiting != 0 || s.Rejected != 1 {
		t.Fatalf("stats %+v: the waiter should have left the queue, refused", s)
	}
}

func metricValue(t *testing.T, e *env, name string) float64 {
	t.Helper()
	mfs, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
		return sum
	}
	t.Fatalf("no metric %s", name)
	return 0
}
