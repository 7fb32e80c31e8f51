package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd/config"
	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/redis"
	"github.com/passkeyd/passkeyd/sqlite"
)

// doctor checks a configuration and, with -url, a running deployment, printing each finding
// with its fix. It changes nothing (it does not migrate) and exits non-zero on errors.
type doctorReport struct {
	out    io.Writer
	errors int
}

func (d *doctorReport) ok(check, msg string, args ...any) {
	fmt.Fprintf(d.out, "ok     %-12s %s\n", check, fmt.Sprintf(msg, args...))
}

func (d *doctorReport) warn(check, fix, msg string, args ...any) {
	fmt.Fprintf(d.out, "warn   %-12s %s\n       fix: %s\n", check, fmt.Sprintf(msg, args...), fix)
}

func (d *doctorReport) fail(check, fix, msg string, args ...any) {
	d.errors++
	fmt.Fprintf(d.out, "error  %-12s %s\n       fix: %s\n", check, fmt.Sprintf(msg, args...), fix)
}

// maxSkew is the clock difference between this host and the database that doctor flags:
// challenge and session expiry compare the two.
const maxSkew = 2 * time.Second

// doctorNow is this host's clock as doctor reads it (tests skew it).
var doctorNow = time.Now

func doctor(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var url string
	var rest []string
	for i := 0; i < len(args); i++ {
		if (args[i] == "-url" || args[i] == "--url") && i+1 < len(args) {
			url = args[i+1]
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	d := &doctorReport{out: stdout}
	cfg, err := config.Load(rest, getenv)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				d.fail("config", "change the setting named above (see config/example.yaml)", "%s", line)
			}
		}
		return fmt.Errorf("doctor: %d errors", d.errors)
	}
	d.ok("config", "RP ID %q, origins %s", cfg.RPID, strings.Join(cfg.Origins, ", "))
	if !cfg.SecureCookies() {
		d.warn("https", "serve the site over https before going live (then cookies are Secure and HSTS is sent)", "origins are plain http on localhost: fine for development only")
	}
	d.checkSecrets(cfg)
	d.checkTokens(cfg)
	d.checkDatabase(ctx, cfg)
	d.checkRedis(ctx, cfg)
	d.checkWebhooks(ctx, cfg)
	if url != "" {
		d.checkDeployment(ctx, url)
	}
	if d.errors > 0 {
		return fmt.Errorf("doctor: %d errors", d.errors)
	}
	fmt.Fprintln(stdout, "doctor: no errors")
	return nil
}

// checkSecrets reports whether secrets at rest (TOTP seeds) are encrypted. Without a key a
// copy of the database (a backup, a replica, a stolen disk) hands out every TOTP seed.
func (d *doctorReport) checkSecrets(cfg *config.Config) {
	kr, err := cfg.Keyring() // validated by config.Load
	if err != nil || !kr.Enabled() {
		d.warn("encryption", "set PASSKEYD_ENCRYPTION_KEYS (encryptionKeys) to a key from: openssl rand -base64 32",
			"no encryption key is set: TOTP secrets are stored unencrypted in the database")
		return
	}
	if n := len(cfg.EncryptionKeys); n > 1 {
		d.ok("encryption", "secrets at rest are encrypted (%d keys: the first seals, the others still open older values)", n)
		return
	}
	d.ok("encryption", "secrets at rest are encrypted")
}

func (d *doctorReport) checkDatabase(ctx context.Context, cfg *config.Config) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	driver, dsn, _ := cfg.Database()
	switch driver {
	case "sqlite":
		if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
			d.ok("database", "SQLite file %s does not exist yet; passkeyd creates it at start", dsn)
			return
		}
		start := time.Now()
		v, err := sqlite.InspectVersion(ctx, dsn)
		if err != nil {
			d.fail("database", "check the path and its permissions (PASSKEYD_DATABASE_URL)", "cannot read SQLite file %s: %v", dsn, err)
			return
		}
		d.ok("database", "SQLite %s answers in %v", dsn, time.Since(start).Round(time.Microsecond))
		d.checkVersion(v, sqlite.KnownVersion())
	case "postgres":
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			d.fail("database", "check PASSKEYD_DATABASE_URL", "%v", err)
			return
		}
		defer db.Close()
		start := time.Now()
		if err := db.Ping(ctx); err != nil {
			d.fail("database", "check that PostgreSQL runs and PASSKEYD_DATABASE_URL points at it (host, port, user, database)", "PostgreSQL does not answer: %v", err)
			return
		}
		d.ok("database", "PostgreSQL answers in %v", time.Since(start).Round(time.Microsecond))
		if now, err := db.ServerTime(ctx); err == nil {
			skew := doctorNow().Sub(now).Abs()
			if skew > maxSkew {
				d.fail("clock", "synchronise both clocks (NTP/chrony)", "this host's clock and the database's differ by %v", skew.Round(time.Millisecond))
			} else {
				d.ok("clock", "skew against the database %v", skew.Round(time.Millisecond))
			}
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			v = 0 // no schema_migrations table yet
		}
		d.checkVersion(v, postgres.KnownVersion())
	}
}

func (d *doctorReport) checkVersion(have, known int) {
	switch {
	case have > known:
		d.fail("migrations", "run the passkeyd version that migrated this database, or a newer one", "the schema is version %d, newer than this passkeyd (%d)", have, known)
	case have < known:
		d.warn("migrations", "run passkeyd migrate (passkeyd also migrates at start)", "the schema is version %d; this passkeyd migrates to %d", have, known)
	default:
		d.ok("migrations", "schema version %d is current", have)
	}
}

func (d *doctorReport) checkRedis(ctx context.Context, cfg *config.Config) {
	if cfg.RedisURL == "" {
		d.ok("redis", "not configured: challenges in process (one instance only)")
		return
	}
	c, err := redis.OpenTimeout(cfg.RedisURL, cfg.RedisTimeout)
	if err != nil {
		d.fail("redis", "check PASSKEYD_REDIS_URL", "%v", err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := c.Ping(ctx); err != nil {
		d.fail("redis", "check that Redis (or its Sentinels) runs and PASSKEYD_REDIS_URL points at it", "Redis does not answer: %v", err)
		return
	}
	d.ok("redis", "answers in %v", time.Since(start).Round(time.Microsecond))
}

func (d *doctorReport) checkDeployment(ctx context.Context, url string) {
	client := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/healthz", "/readyz"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			d.fail("deployment", "check that passkeyd runs at -url and the network path to it", "GET %s: %v", path, err)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != 200 {
			d.fail("deployment", "see the failing dependency in the answer", "GET %s answered %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
			return
		}
		if path == "/readyz" && strings.HasPrefix(url, "https://") && resp.Header.Get("Strict-Transport-Security") == "" {
			d.warn("deployment", "make the origins https in PASSKEYD_ORIGINS so that passkeyd sends HSTS", "served over https without HSTS")
		}
	}
	d.ok("deployment", "%s is live and ready", url)
}
