package main

import (
	"bufio"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// drill is one fault and how to judge it; run starts the fault at `at` and returns what
// the driver saw.
type drill struct {
	name string
	run  func(at time.Time) (result, error)
	slow bool // only with -slow (make ha-test), not in CI's `go run ./ha`
	// multi, instead of run, is a drill that reports several lines (one per variant).
	multi func() ([]result, error)
}

func (c *cluster) drills(o options, d *driver) []drill {
	return []drill{
		{name: "passkeyd_rolling_restart", run: func(at time.Time) (result, error) { return c.rollingRestart(d, at) }, slow: true},
		{name: "clock_skew_issuer_ahead", run: func(at time.Time) (result, error) { return c.clockSkew(o, d, at, true) }, slow: true},
		{name: "clock_skew_issuer_behind", run: func(at time.Time) (result, error) { return c.clockSkew(o, d, at, false) }, slow: true},
		{name: "passkeyd_instance_killed", run: func(at time.Time) (result, error) {
			c.kill("passkeyd-1")
			return observe(d, at, o.window), nil
		}, slow: false},
		{name: "redis_master_killed", run: func(at time.Time) (result, error) {
			c.kill("redis-master")
			return observe(d, at, o.window), nil
		}, slow: false},
		{name: "redis_failover_lockout", run: func(time.Time) (result, error) { return c.redisFailoverLockout(o) }, slow: true},
		{name: "redis_latency", multi: func() ([]result, error) { return c.redisLatency(o) }, slow: true},
		{name: "postgres_stall", run: func(at time.Time) (result, error) { return c.postgresStall(o, d, at) }, slow: false},
		{name: "postgres_primary_failover", run: func(at time.Time) (result, error) {
			if err := c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(c.dir, "pg-primary"), "stop", "-m", "immediate"); err != nil {
				return result{}, err
			}
			if err := c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(c.dir, "pg-replica"), "promote", "-w"); err != nil {
				return result{}, err
			}
			return observe(d, at, o.window), nil
		}, slow: false},
	}
}

// rollingRestart stops each instance with SIGTERM, starts it again, waits until HAProxy
// has it back (rise 2 × inter 1 s) and goes on to the next: what an upgrade does. The
// requests go through the strict frontend (no retries), and not one may fail.
func (c *cluster) rollingRestart(d *driver, at time.Time) (result, error) {
	strict := fmt.Sprintf("http://127.0.0.1:%d", strictPort)
	d.splitCeremonies(strict, strict)
	defer d.splitCeremonies("", "")
	time.Sleep(time.Second) // ceremonies in flight through the default frontend finish
	at = time.Now()
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("passkeyd-%d", i)
		stopped := time.Now()
		if err := c.terminate(name, time.Minute); err != nil {
			return result{}, err
		}
		c.logf("  %s stopped %.1fs after SIGTERM", name, time.Since(stopped).Seconds())
		if err := c.startPasskeyd(i); err != nil {
			return result{}, fmt.Errorf("restart %s: %w", name, err)
		}
		time.Sleep(3 * time.Second)
	}
	time.Sleep(2 * time.Second)
	r := measure(d, at, time.Now())
	if r.failed > 0 {
		r.problem = fmt.Sprintf("%d requests failed during the rolling restart; a drained restart must fail none", r.failed)
	}
	return r, nil
}

// clockSkew restarts passkeyd-2 with its clock 10 s ahead and sends every ceremony's
// options to one instance and its verify to another: with the issuer ahead (options on
// passkeyd-2) the verifier must refuse each challenge as unavailable (503), never as
// challenge_unknown or a 500, and count it; with the issuer behind, everything succeeds.
// passkeyd-2 is restarted with a true clock afterwards.
func (c *cluster) clockSkew(o options, d *driver, at time.Time, issuerAhead bool) (result, error) {
	const skew = 10 * time.Second
	if issuerAhead {
		if err := c.terminate("passkeyd-2", time.Minute); err != nil {
			return result{}, err
		}
		if err := c.startPasskeyd(2, "PASSKEYD_TEST_CLOCK_OFFSET="+skew.String()); err != nil {
			return result{}, err
		}
	}
	skewed, true0 := instanceURL(2), instanceURL(0)
	before := skewRefusals(true0) + skewRefusals(skewed)
	from := time.Now()
	if issuerAhead {
		d.splitCeremonies(skewed, true0)
	} else {
		d.splitCeremonies(true0, skewed)
	}
	window := min(o.window, 6*time.Second)
	time.Sleep(window)
	d.splitCeremonies("", "")
	to := time.Now()
	refused := skewRefusals(true0) + skewRefusals(skewed) - before
	r := measure(d, from, to)
	r.recovered = true // the fault is the point here; recovery is judged by the next drill
	statuses := map[int]int{}
	for _, f := range d.failures(from, to) {
		statuses[f.status]++
	}
	r.more = fmt.Sprintf("skew_s=%.0f refused=%d failure_statuses=%s", skew.Seconds(), refused, formatCounts(statuses))
	switch {
	case issuerAhead && (r.failed == 0 || refused == 0):
		r.problem = "challenges issued 10 s in the verifier's future were not refused"
	case issuerAhead && statuses[http.StatusServiceUnavailable] != r.failed:
		r.problem = "a skew refusal must answer 503, not " + formatCounts(statuses)
	case !issuerAhead && r.failed > 0:
		r.problem = "challenges issued in the verifier's past (within their timeout) failed"
	}
	if !issuerAhead {
		if err := c.terminate("passkeyd-2", time.Minute); err != nil {
			return result{}, err
		}
		if err := c.startPasskeyd(2); err != nil {
			return result{}, err
		}
		time.Sleep(3 * time.Second) // back in HAProxy's rotation
	}
	return r, nil
}

// postgresStall makes the proxy in front of the primary forward nothing for 5 s (a
// partition, or a server that stopped answering) and reports how fast requests failed and
// how many goroutines the instances had.
func (c *cluster) postgresStall(o options, d *driver, at time.Time) (result, error) {
	const stall = 5 * time.Second
	before := maxGoroutines()
	c.pgProxies[0].Stall(true)
	peak := before
	for time.Since(at) < stall {
		peak = max(peak, maxGoroutines())
		time.Sleep(250 * time.Millisecond)
	}
	c.pgProxies[0].Stall(false)
	r := observe(d, at, o.window)
	// Failures answered within 50 ms came from HAProxy once every instance's /readyz had
	// failed (no server available); the others are passkeyd's own, bounded by the
	// database timeout.
	var took []time.Duration
	balancer := 0
	for _, f := range d.failures(at, at.Add(o.window)) {
		if f.took < 50*time.Millisecond {
			balancer++
			continue
		}
		took = append(took, f.took)
	}
	slices.Sort(took)
	p50, worst := time.Duration(0), time.Duration(0)
	if len(took) > 0 {
		p50, worst = took[len(took)/2], took[len(took)-1]
	}
	after := maxGoroutines()
	r.more = fmt.Sprintf("stall_s=%.0f failed_by_passkeyd=%d fail_p50_s=%.2f fail_max_s=%.2f failed_at_balancer=%d goroutines_before=%d goroutines_peak=%d goroutines_after=%d",
		stall.Seconds(), len(took), p50.Seconds(), worst.Seconds(), balancer, before, peak, after)
	// A failed operation is two requests (options, verify) at most; each must fail within
	// a few database timeouts (3 s), not at the 10 s request deadline.
	if worst > 9*time.Second {
		r.problem = fmt.Sprintf("an operation took %v to fail against a stalled database", worst)
	}
	return r, nil
}

func instanceURL(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", passkeydBase+i) }

// maxGoroutines is the largest go_goroutines among the running instances.
func maxGoroutines() int {
	n := 0
	for i := 0; i < 3; i++ {
		n = max(n, int(metric(instanceURL(i), "go_goroutines")))
	}
	return n
}

func skewRefusals(base string) int { return int(metric(base, "passkeyd_challenge_clock_skew_total")) }

// metric reads one unlabelled sample from an instance's /metrics (0 when it cannot).
func metric(base, name string) float64 {
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

func formatCounts(m map[int]int) string {
	if len(m) == 0 {
		return "none"
	}
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d:%d", k, m[k]))
	}
	return strings.Join(parts, ",")
}
