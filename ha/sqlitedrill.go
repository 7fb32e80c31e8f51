package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

const sqlitePort = passkeydBase + 10

// sqliteKill9 runs one instance on SQLite under load, kills it with -9 mid-load, starts it
// again on the same file and checks that every sign-up it acknowledged (credential and
// session) is in the database and that the database is intact: synchronous=FULL and group
// commit must make an acknowledgement mean durable.
func (c *cluster) sqliteKill9(o options) (result, error) {
	c.logf("sqlite: one instance on SQLite, killed with -9 under load")
	path := filepath.Join(c.dir, "sqlite-drill.db")
	start := func() error {
		f, err := os.OpenFile(filepath.Join(c.dir, "passkeyd-sqlite.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		c.logFiles = append(c.logFiles, f)
		cmd := exec.Command(c.binary)
		cmd.Env = append(os.Environ(),
			fmt.Sprintf("PASSKEYD_ADDR=127.0.0.1:%d", sqlitePort),
			fmt.Sprintf("PASSKEYD_ORIGINS=http://localhost:%d", sqlitePort),
			"PASSKEYD_DATABASE_URL=sqlite://"+path,
			"PASSKEYD_RATE_LIMIT=0", "PASSKEYD_ACCOUNT_RATE_LIMIT=0", "PASSKEYD_LOG_LEVEL=warn", "PASSKEYD_DRAIN_TIMEOUT=0s")
		cmd.Stdout, cmd.Stderr = f, f
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		c.track("passkeyd-sqlite", cmd)
		return waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/readyz", sqlitePort), 20*time.Second)
	}
	if err := start(); err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDriver(fmt.Sprintf("http://127.0.0.1:%d", sqlitePort), fmt.Sprintf("http://localhost:%d", sqlitePort))
	if err := d.warmup(ctx, o.workers); err != nil {
		return result{}, fmt.Errorf("warm-up: %w", err)
	}
	done := make(chan struct{})
	go func() { d.run(ctx, o.workers); close(done) }()
	time.Sleep(3 * time.Second)
	at := time.Now()
	c.kill("passkeyd-sqlite")
	if err := start(); err != nil {
		return result{}, fmt.Errorf("restart after kill -9: %w", err)
	}
	window := min(o.window, 6*time.Second)
	time.Sleep(time.Until(at.Add(window)))
	cancel()
	<-done
	r := measure(d, at, at.Add(window))
	if err := c.terminate("passkeyd-sqlite", time.Minute); err != nil {
		return result{}, err
	}

	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil {
		return result{}, err
	}
	acked := d.acknowledged()
	sessions := 0
	for _, a := range acked {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM passkeys WHERE id = ?`, a.id).Scan(&n); err != nil {
			return result{}, err
		}
		if n == 0 {
			r.lost++
		}
		if a.session != "" {
			sessions++
			h := sha256.Sum256([]byte(a.session)) // account.HashToken
			if err := db.QueryRow(`SELECT count(*) FROM sessions WHERE token_hash = ?`, h[:]).Scan(&n); err != nil {
				return result{}, err
			}
			if n == 0 {
				r.lost++
			}
		}
	}
	r.name = "sqlite_kill9"
	r.more = fmt.Sprintf("acknowledged_credentials=%d acknowledged_sessions=%d integrity=%s", len(acked), sessions, integrity)
	if integrity != "ok" {
		r.problem = "PRAGMA integrity_check: " + integrity
	}
	if sessions == 0 {
		r.problem = "no acknowledged sign-up set a session cookie: the session check checked nothing"
	}
	return r, nil
}
