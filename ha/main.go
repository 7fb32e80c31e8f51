// Command ha is passkeyd's fault test (`make ha-test`): it starts a PostgreSQL primary with a
// synchronous streaming replica, a Redis master with a replica and three Sentinels, three
// passkeyd instances and HAProxy, all on 127.0.0.1; drives continuous sign-ups and logins
// through HAProxy with software authenticators; and then (a) kills a passkeyd instance,
// (b) kills the Redis master, (c) stops the PostgreSQL primary and promotes the replica.
// For each fault it prints one line:
//
//	fault=<name> requests=<n> failed=<n> rto_s=<seconds> lost=<n>
//
// where rto_s is the time from the fault to the last failed request (after which every
// request succeeded) and lost counts credentials whose sign-up was acknowledged (201) but
// that the database no longer has. It exits non-zero if any credential was lost or the
// service did not recover. It needs root (PostgreSQL runs as the postgres user), Debian's
// postgresql-15, redis-server and haproxy, and takes about a minute.
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
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	window := flag.Duration("window", 12*time.Second, "how long to observe each fault")
	workers := flag.Int("c", 8, "concurrent clients")
	keep := flag.Bool("keep", false, "keep the working directory (logs, data) afterwards")
	flag.Parse()
	if err := run(*window, *workers, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "ha:", err)
		os.Exit(1)
	}
}

func run(window time.Duration, workers int, keep bool) error {
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
	defer func() {
		c.stopAll()
		if keep {
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
	if err := d.warmup(ctx, workers); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	done := make(chan struct{})
	go func() { d.run(ctx, workers); close(done) }()
	time.Sleep(3 * time.Second)

	faults := []struct {
		name string
		do   func() error
	}{
		{"passkeyd_instance_killed", func() error { c.kill("passkeyd-1"); return nil }},
		{"redis_master_killed", func() error { c.kill("redis-master"); return nil }},
		{"postgres_primary_failover", func() error {
			if err := c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(dir, "pg-primary"), "stop", "-m", "immediate"); err != nil {
				return err
			}
			return c.run(true, filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(dir, "pg-replica"), "promote", "-w")
		}},
	}
	type result struct {
		name                   string
		requests, failed, lost int
		rto                    time.Duration
		recovered              bool
	}
	var results []result
	var faultTimes []time.Time
	for _, f := range faults {
		at := time.Now()
		faultTimes = append(faultTimes, at)
		c.logf("fault: %s", f.name)
		if err := f.do(); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		time.Sleep(window)
		req, failed, lastFail := d.since(at, at.Add(window))
		tailReq, tailFailed, _ := d.since(at.Add(window-2*time.Second), at.Add(window))
		rto := time.Duration(0)
		if !lastFail.IsZero() {
			rto = lastFail.Sub(at)
		}
		results = append(results, result{name: f.name, requests: req, failed: failed, rto: rto, recovered: tailReq > 0 && tailFailed == 0})
	}
	cancel()
	<-done

	// Which acknowledged credentials does the (new) primary still have?
	acked := d.acknowledged()
	conn, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://postgres@127.0.0.1:%d/passkeyd?sslmode=disable", pgReplicaPort))
	if err != nil {
		return fmt.Errorf("connect to the promoted primary: %w", err)
	}
	defer conn.Close(context.Background())
	lostByFault := make([]int, len(results))
	for _, a := range acked {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM passkeys WHERE id = $1`, a.id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			// Attribute the loss to the last fault before the acknowledgement.
			i := 0
			for j, at := range faultTimes {
				if !a.at.Before(at) {
					i = j
				}
			}
			lostByFault[i]++
		}
	}
	ok := true
	for i, r := range results {
		r.lost = lostByFault[i]
		fmt.Printf("fault=%s requests=%d failed=%d rto_s=%.2f lost=%d\n", r.name, r.requests, r.failed, r.rto.Seconds(), r.lost)
		if r.lost > 0 || !r.recovered {
			ok = false
		}
	}
	fmt.Printf("acknowledged_credentials=%d checked=%d\n", len(acked), len(acked))
	if !ok {
		return fmt.Errorf("a fault lost acknowledged credentials or the service did not recover (logs: rerun with -keep)")
	}
	return nil
}
