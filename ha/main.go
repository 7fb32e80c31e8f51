// Command ha is passkeyd's fault test (`make ha-test`): it starts a PostgreSQL primary with a
// synchronous streaming replica (each behind a TCP proxy of the test's own, to stall the
// network to it), a Redis master with a replica and three Sentinels, three passkeyd
// instances and HAProxy (with the checks of deploy/haproxy), all on 127.0.0.1; drives
// continuous sign-ups and logins through HAProxy with software authenticators; and runs
// drills one after the other:
//
//   - sqlite_kill9: a lone instance on SQLite killed with -9 under load and restarted;
//     every acknowledged credential and session must be there, integrity_check ok;
//   - passkeyd_rolling_restart (-slow): SIGTERM, restart, next, for each instance (0
//     failures);
//   - clock_skew_issuer_ahead / _behind (-slow): one instance's clock 10 s ahead,
//     ceremonies started on one instance and verified on another;
//   - passkeyd_instance_killed, redis_master_killed;
//   - redis_failover_lockout (-slow): an account locked in Redis, the master killed, its
//     right password and another's wrong ones tried through the failover;
//   - redis_latency (-slow): a proxy in front of the Redis master delays its answers by
//     2 s; two more instances behind it, one with the default PASSKEYD_REDIS_TIMEOUT (must
//     fail at about 1 s) and one with 3 s (must not fail); two lines;
//   - postgres_stall: the network to the primary forwards nothing for 5 s;
//   - postgres_primary_failover: the primary stopped (immediate), the replica promoted.
//
// For each it prints one line:
//
//	fault=<name> requests=<n> failed=<n> rto_s=<seconds> lost=<n> [more=...]
//
// where rto_s is the time from the fault to the last failed request (after which every
// request succeeded) and lost counts credentials (and, for SQLite, sessions) whose sign-up
// was acknowledged (201) but that the database no longer has. It exits non-zero if any was
// lost, the service did not recover, or a drill's own condition failed. It needs root
// (PostgreSQL runs as the postgres user), Debian's postgresql-15, redis-server and haproxy,
// and takes about a minute and a half (-slow: about three). -only runs the drills whose names contain one of its
// comma-separated words (the cluster starts anyway).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

type options struct {
	window       time.Duration
	workers      int
	keep         bool
	slow         bool
	patroni      bool
	only         []string
	drainTimeout string
}

func main() {
	var o options
	flag.DurationVar(&o.window, "window", 12*time.Second, "how long to observe each fault")
	flag.IntVar(&o.workers, "c", 8, "concurrent clients")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (logs, data) afterwards")
	flag.BoolVar(&o.slow, "slow", false, "also run the slow drills (rolling restart, clock skew); make ha-test sets it, CI does not")
	flag.BoolVar(&o.patroni, "patroni", false, "instead, run the Patroni drills: three Patroni members on etcd (Debian's patroni and etcd-server), an etcd stall and kill -9 of the leader; make ha-test runs it")
	only := flag.String("only", "", "comma-separated words: run only the drills whose names contain one")
	flag.StringVar(&o.drainTimeout, "drain-timeout", "", "PASSKEYD_DRAIN_TIMEOUT for the instances (default: passkeyd's own); 0s shows what the drain prevents")
	flag.Parse()
	if *only != "" {
		o.only = strings.Split(*only, ",")
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "ha:", err)
		os.Exit(1)
	}
}

func (o options) wants(name string) bool {
	if len(o.only) == 0 {
		return true
	}
	for _, w := range o.only {
		if w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// result is one drill's line.
type result struct {
	name                   string
	requests, failed, lost int
	rto                    time.Duration
	recovered              bool
	more                   string // extra key=value fields
	problem                string // the drill's own condition that failed, if any
}

func (r result) String() string {
	s := fmt.Sprintf("fault=%s requests=%d failed=%d rto_s=%.2f lost=%d", r.name, r.requests, r.failed, r.rto.Seconds(), r.lost)
	if r.more != "" {
		s += " " + r.more
	}
	return s
}

func run(o options) error {
	pg, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("needs the postgres system user (Debian's postgresql): %w", err)
	}
	dir, err := os.MkdirTemp("", "passkeyd-ha-")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("needs root to run PostgreSQL as postgres: %w", err)
	}
	c := &cluster{dir: dir, procs: map[string]*exec.Cmd{}, pgUser: pg}
	if o.drainTimeout != "" {
		c.passkeydExtra = append(c.passkeydExtra, "PASSKEYD_DRAIN_TIMEOUT="+o.drainTimeout)
	}
	defer func() {
		c.stopAll()
		if o.keep {
			fmt.Fprintln(os.Stderr, "ha: kept", dir)
		} else {
			os.RemoveAll(dir)
		}
	}()
	c.binary = filepath.Join(dir, "passkeyd")
	build := exec.Command("go", "build", "-o", c.binary, "./cmd/passkeyd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build passkeyd: %w", err)
	}

	var results []result
	if o.patroni {
		results, err := c.runPatroni(o)
		if err != nil {
			return fmt.Errorf("patroni: %w (logs: rerun with -keep)", err)
		}
		return report(results, -1)
	}
	if o.wants("sqlite_kill9") {
		r, err := c.sqliteKill9(o)
		if err != nil {
			return fmt.Errorf("sqlite_kill9: %w", err)
		}
		results = append(results, r)
	}

	c.logf("starting PostgreSQL primary and synchronous replica")
	if err := c.startPostgres(); err != nil {
		return err
	}
	c.logf("starting Redis master, replica and three Sentinels")
	if err := c.startRedis(); err != nil {
		return err
	}
	c.logf("starting three passkeyd instances and HAProxy")
	for i := 0; i < 3; i++ {
		if err := c.startPasskeyd(i); err != nil {
			return fmt.Errorf("passkeyd %d: %w (see %s)", i, err, dir)
		}
	}
	if err := c.startHAProxy(); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDriver(fmt.Sprintf("http://127.0.0.1:%d", haproxyPort), fmt.Sprintf("http://localhost:%d", haproxyPort))
	if err := d.warmup(ctx, o.workers); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	done := make(chan struct{})
	go func() { d.run(ctx, o.workers); close(done) }()
	time.Sleep(3 * time.Second)

	var faultTimes []time.Time
	for _, dr := range c.drills(o, d) {
		if !o.wants(dr.name) || (dr.slow && !o.slow) {
			continue
		}
		at := time.Now()
		c.logf("fault: %s", dr.name)
		if dr.multi != nil {
			rs, err := dr.multi()
			if err != nil {
				return fmt.Errorf("%s: %w", dr.name, err)
			}
			for _, r := range rs {
				c.logf("  %s", r)
				faultTimes = append(faultTimes, at)
				results = append(results, r)
			}
			continue
		}
		faultTimes = append(faultTimes, at)
		r, err := dr.run(at)
		if err != nil {
			return fmt.Errorf("%s: %w", dr.name, err)
		}
		r.name = dr.name
		c.logf("  %s", r)
		results = append(results, r)
	}
	cancel()
	<-done

	// Which acknowledged credentials does the primary (the promoted replica after the
	// failover drill) still have?
	primaryPort := pgPrimaryPort
	if o.wants("postgres_primary_failover") {
		primaryPort = pgReplicaPort
	}
	acked := d.acknowledged()
	conn, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://postgres@127.0.0.1:%d/passkeyd?sslmode=disable", primaryPort))
	if err != nil {
		return fmt.Errorf("connect to the primary: %w", err)
	}
	defer conn.Close(context.Background())
	pgResults := results[len(results)-len(faultTimes):]
	for _, a := range acked {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM passkeys WHERE id = $1`, a.id).Scan(&n); err != nil {
			return err
		}
		if n == 0 && len(pgResults) > 0 {
			// Attribute the loss to the last fault before the acknowledgement.
			i := 0
			for j, at := range faultTimes {
				if !a.at.Before(at) {
					i = j
				}
			}
			pgResults[i].lost++
		}
	}
	return report(results, len(acked))
}

// report prints the drills' lines and fails if any lost an acknowledged write, did not
// recover, or failed its own condition.
func report(results []result, acked int) error {
	ok := true
	for _, r := range results {
		fmt.Println(r)
		if r.lost > 0 || !r.recovered {
			ok = false
		}
		if r.problem != "" {
			fmt.Fprintf(os.Stderr, "ha: %s: %s\n", r.name, r.problem)
			ok = false
		}
	}
	if acked >= 0 {
		fmt.Printf("acknowledged_credentials=%d checked=%d\n", acked, acked)
	}
	if !ok {
		return fmt.Errorf("a fault lost acknowledged credentials, the service did not recover, or a drill's condition failed (logs: rerun with -keep)")
	}
	return nil
}

// observe waits out a fault's window and counts what the driver saw in it.
func observe(d *driver, at time.Time, window time.Duration) result {
	time.Sleep(time.Until(at.Add(window)))
	return measure(d, at, at.Add(window))
}

// measure counts the operations of [from, to): rto is the time from the fault to the last
// failure, and the service recovered when the last 2 s of it had requests and no failure.
func measure(d *driver, from, to time.Time) result {
	req, failed, lastFail := d.since(from, to)
	tailReq, tailFailed, _ := d.since(to.Add(-2*time.Second), to)
	r := result{requests: req, failed: failed, recovered: tailReq > 0 && tailFailed == 0}
	if !lastFail.IsZero() {
		r.rto = lastFail.Sub(from)
	}
	return r
}
