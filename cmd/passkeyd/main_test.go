package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/config"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/postgres/pgtest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestServeAndGracefulShutdown: run serves on the configured address, prints the URL to
// open, and when its context is cancelled (SIGINT/SIGTERM in main) drains: /readyz answers
// 503 "draining" at once while new connections and requests are still served for the
// drain timeout; then it returns cleanly.
func TestServeAndGracefulShutdown(t *testing.T) {
	port := freePort(t)
	const drain = 1500 * time.Millisecond
	env := map[string]string{
		"PASSKEYD_ADDR":          fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":  "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_DRAIN_TIMEOUT": drain.String(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr) }()
	url := fmt.Sprintf("http://localhost:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "open "+url) {
		t.Fatalf("stdout %q does not print the URL to open", stdout.String())
	}
	// A fresh connection per request: the listener itself must stay open while draining.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	get := func(path string) (int, string, error) {
		resp, err := client.Get(url + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String(), nil
	}
	stopped := time.Now()
	cancel()
	time.Sleep(50 * time.Millisecond) // the drain starts as soon as the context ends
	if code, body, err := get("/readyz"); err != nil || code != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Fatalf("/readyz right after SIGTERM: %d %q %v, want 503 draining", code, body, err)
	}
	served := 0
	for time.Since(stopped) < drain-300*time.Millisecond {
		for _, path := range []string{"/healthz", "/api/openapi.json"} {
			if code, _, err := get(path); err != nil || code != http.StatusOK {
				t.Fatalf("%s %v into the drain: %d %v, want 200", path, time.Since(stopped).Round(time.Millisecond), code, err)
			}
			served++
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("run returned %v after %v, before the drain ended", err, time.Since(stopped))
	default:
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if d := time.Since(stopped); d < drain {
			t.Fatalf("stopped after %v, before the %v drain", d, drain)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	t.Logf("%d requests served during the drain", served)
}

func TestBadConfigurationStopsWithTheSettingsName(t *testing.T) {
	env := map[string]string{"PASSKEYD_RP_ID": "example.com"} // origin stays http://localhost:8080
	err := run(context.Background(), nil, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "PASSKEYD_RP_ID") {
		t.Fatalf("error %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestMigrateAndVersion(t *testing.T) {
	env := map[string]string{"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "m.db")}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &out); err != nil || !strings.Contains(out.String(), "passkeyd") {
		t.Fatalf("version: %q %v", out.String(), err)
	}
}

// TestServeOnPostgresAndRedis runs the binary's wiring against the machine's PostgreSQL and
// Redis (skipped when they are not there, unless PASSKEYD_TEST_REQUIRE says otherwise).
func TestServeOnPostgresAndRedis(t *testing.T) {
	pg := envOr("PASSKEYD_TEST_POSTGRES_URL", "postgres://127.0.0.1:5432/test?sslmode=disable")
	rd := envOr("PASSKEYD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
	if err := reachable(pg, rd); err != nil {
		if strings.Contains(getenvReal("PASSKEYD_TEST_REQUIRE"), "all") {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	port := freePort(t)
	env := map[string]string{
		"PASSKEYD_DRAIN_TIMEOUT": "0s", // no load balancer to drain from
		"PASSKEYD_ADDR":          fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":  pgtest.URL(t), // a schema of its own: other builds may migrate the shared one
		"PASSKEYD_REDIS_URL":     rd,
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &out, &out) }()
	defer func() { cancel(); <-done }()
	url := fmt.Sprintf("http://localhost:%d/readyz", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body := make([]byte, 512)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if !strings.Contains(string(body[:n]), `"redis":{"status":"ok"}`) || !strings.Contains(string(body[:n]), `"database":{"status":"ok"}`) {
					t.Fatalf("readyz does not report both dependencies: %s", body[:n])
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProbe: the synthetic journey passes against a live server and fails against one
// that refuses it (here: a server whose origin is not the one the probe claims).
func TestProbe(t *testing.T) {
	port := freePort(t)
	env := map[string]string{
		"PASSKEYD_ADDR":         fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
	}
	url := serveForTest(t, env)
	var out bytes.Buffer
	// doctor against the live deployment.
	doctorEnv := map[string]string{"PASSKEYD_DATABASE_URL": env["PASSKEYD_DATABASE_URL"], "PASSKEYD_ADDR": env["PASSKEYD_ADDR"]}
	if err := run(context.Background(), []string{"doctor", "-url", url}, func(k string) string { return doctorEnv[k] }, &out, &out); err != nil || !strings.Contains(out.String(), "is live and ready") {
		t.Fatalf("doctor -url against a live server: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"probe", "-url", url}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("probe against a live server: %v\n%s", err, out.String())
	}
	for _, step := range []string{"sign-up", "add-passkey", "sign-in", "delete-passkey", "sign-out"} {
		if !strings.Contains(out.String(), "step="+step+" ok=true latency=") {
			t.Errorf("no latency line for %s:\n%s", step, out.String())
		}
	}
	out.Reset()
	err := run(context.Background(), []string{"probe", "-url", url, "-origin", "https://wrong.example"}, func(string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(out.String(), "step=sign-up ok=false") || !strings.Contains(out.String(), "origin_mismatch") {
		t.Fatalf("probe against a refusing server: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"probe", "-url", "http://127.0.0.1:1"}, func(string) string { return "" }, &out, &out); err == nil {
		t.Fatal("probe against no server passed")
	}
}

// TestImport: users with bcrypt and argon2id hashes and a TOTP secret come in; a re-run
// skips them; bad lines are reported with their number; imported users sign in (the bcrypt
// one is upgraded to argon2id) and the TOTP one is asked for a code.
func TestImport(t *testing.T) {
	dir := t.TempDir()
	bc, _ := bcrypt.GenerateFromPassword([]byte("old bcrypt passphrase"), bcrypt.MinCost)
	argon, err := password.New(password.Params{Memory: 8192, Time: 1, Threads: 1}).Hash(context.Background(), "ben's argon passphrase")
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"username": "ann", "displayName": "Ann", "passwordHash": "` + string(bc) + `"}`,
		`{"username": "ben", "passwordHash": "` + argon + `", "totpSecret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}`,
		`{"username": "x", "passwordHash": "$2b$04$whatever"}`,
		`{"username": "cat", "passwordHash": "plaintext"}`,
		`not json`,
	}
	file := filepath.Join(dir, "users.jsonl")
	os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	env := map[string]string{"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(dir, "p.db"), "PASSKEYD_ARGON2_MEMORY_KIB": "8192", "PASSKEYD_ARGON2_TIME": "1"}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	err = run(context.Background(), []string{"import", "-file", file}, getenv, &out, &out)
	if err == nil || !strings.Contains(out.String(), "imported=2 skipped=0 failed=3") || !strings.Contains(out.String(), "line 5:") {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	out.Reset()
	_ = run(context.Background(), []string{"import", "-file", file}, getenv, &out, &out)
	if !strings.Contains(out.String(), "imported=0 skipped=2") {
		t.Fatalf("re-run: %s", out.String())
	}
	// Sign in through the server.
	d, err := openDeps(context.Background(), mustConfig(t, getenv), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	res, err := d.accounts.PasswordLogin(context.Background(), "ann", "old bcrypt passphrase")
	if err != nil || res.User.Username != "ann" {
		t.Fatalf("bcrypt user: %v", err)
	}
	u, _ := d.store.UserByUsername(context.Background(), "ann")
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("bcrypt hash not upgraded: %.10s", u.PasswordHash)
	}
	var mfa *account.MFARequired
	if _, err := d.accounts.PasswordLogin(context.Background(), "ben", "ben's argon passphrase"); !errors.As(err, &mfa) {
		t.Fatalf("TOTP user: %v, want mfa_required", err)
	}
}

func mustConfig(t *testing.T, getenv func(string) string) *config.Config {
	cfg, err := config.Load(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSeparateMetricsListener: with PASSKEYD_METRICS_ADDR, /metrics moves off the public
// listener.
func TestSeparateMetricsListener(t *testing.T) {
	port, mport := freePort(t), freePort(t)
	env := map[string]string{
		"PASSKEYD_DRAIN_TIMEOUT": "0s", // no load balancer to drain from
		"PASSKEYD_ADDR":          fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_METRICS_ADDR":  fmt.Sprintf("127.0.0.1:%d", mport),
		"PASSKEYD_DATABASE_URL":  "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	defer func() { cancel(); <-done }()
	get := func(url string) int {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", url, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if s := get(fmt.Sprintf("http://localhost:%d/readyz", port)); s != 200 {
		t.Fatalf("readyz %d", s)
	}
	if s := get(fmt.Sprintf("http://127.0.0.1:%d/metrics", mport)); s != 200 {
		t.Fatalf("metrics listener answered %d", s)
	}
	if s := get(fmt.Sprintf("http://localhost:%d/metrics", port)); s == 200 {
		t.Fatal("/metrics still on the public listener")
	}
	if s := get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", mport)); s != 404 {
		t.Fatalf("profiler served without PASSKEYD_PPROF: %d", s)
	}
}

// TestProfilerOnlyOnTheMetricsListener: PASSKEYD_PPROF serves Go's profiler on the metrics
// listener and nowhere else, and is refused without a metrics listener to put it on.
func TestProfilerOnlyOnTheMetricsListener(t *testing.T) {
	port, mport := freePort(t), freePort(t)
	env := map[string]string{
		"PASSKEYD_DRAIN_TIMEOUT": "0s",
		"PASSKEYD_ADDR":          fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":  "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_PPROF":         "true",
	}
	var stderr bytes.Buffer
	err := run(context.Background(), nil, func(k string) string { return env[k] }, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error()+stderr.String(), "pprof") {
		t.Fatalf("pprof without a metrics listener: err %v, stderr %q", err, stderr.String())
	}
	env["PASSKEYD_METRICS_ADDR"] = fmt.Sprintf("127.0.0.1:%d", mport)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	defer func() { cancel(); <-done }()
	get := func(url string) (int, string) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", url, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if s, body := get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?debug=1", mport)); s != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("heap profile on the metrics listener: %d %.80q", s, body)
	}
	if s, _ := get(fmt.Sprintf("http://localhost:%d/debug/pprof/heap?debug=1", port)); s == 200 {
		t.Fatal("profiler on the public listener")
	}
}

// TestDoctor: a sound configuration passes; each seeded misconfiguration is caught with a
// fix, and the exit status is non-zero.
func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "p.db")
	base := map[string]string{"PASSKEYD_DATABASE_URL": "sqlite://" + dbPath}
	doc := func(extra map[string]string, args ...string) (string, error) {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"doctor"}, args...), func(k string) string { return env[k] }, &out, &out)
		return out.String(), err
	}
	if out, err := doc(nil); err != nil || !strings.Contains(out, "no errors") {
		t.Fatalf("sound configuration: %v\n%s", err, out)
	}
	// No encryption key: a warning with the fix; with one (or two, rotating): ok.
	if out, _ := doc(nil); !strings.Contains(out, "warn   encryption") || !strings.Contains(out, "openssl rand -base64 32") {
		t.Fatalf("no encryption key, no warning:\n%s", out)
	}
	keys := "q0vJ8m3Zt2rX9bWcN5yKf1LhA7pQeUuD4sGiTzRoV6E=,3Hq9Zb7Yk2Lm5Np8Rs1Tv4Wx6Az0Cd3Ef5Gh7Jk9Mn0="
	if out, err := doc(map[string]string{"PASSKEYD_ENCRYPTION_KEYS": keys}); err != nil || !strings.Contains(out, "ok     encryption") || strings.Contains(out, "warn   encryption") || strings.Contains(out, "q0vJ8m3Z") {
		t.Fatalf("with encryption keys: %v\n%s", err, out)
	}
	// A migrated database is current.
	if err := run(context.Background(), []string{"migrate"}, func(k string) string { return base[k] }, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if out, _ := doc(nil); !strings.Contains(out, "is current") {
		t.Fatalf("migrated database: %s", out)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"RP ID vs origin", map[string]string{"PASSKEYD_RP_ID": "example.com"}, nil, "PASSKEYD_RP_ID"},
		{"plain http origin", map[string]string{"PASSKEYD_RP_ID": "example.com", "PASSKEYD_ORIGINS": "http://example.com"}, nil, "https"},
		{"unreachable PostgreSQL", map[string]string{"PASSKEYD_DATABASE_URL": "postgres://127.0.0.1:1/x?sslmode=disable&connect_timeout=1"}, nil, "PostgreSQL does not answer"},
		{"unreachable Redis", map[string]string{"PASSKEYD_REDIS_URL": "redis://127.0.0.1:1/0"}, nil, "Redis does not answer"},
		{"deployment down", nil, []string{"-url", "http://127.0.0.1:1"}, "GET /healthz"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := doc(c.env, c.args...)
			if err == nil || !strings.Contains(out, c.want) || !strings.Contains(out, "fix:") && !strings.Contains(out, "error  config") {
				t.Fatalf("err %v, output:\n%s", err, out)
			}
		})
	}
	// Tokens: a default audience is flagged; a configured one and a cookie domain are named.
	if out, _ := doc(nil); !strings.Contains(out, "warn   audience") || !strings.Contains(out, "session cookie is host-only") {
		t.Fatalf("token defaults:\n%s", out)
	}
	out, err := doc(map[string]string{"PASSKEYD_RP_ID": "login.example.com", "PASSKEYD_ORIGINS": "https://login.example.com", "PASSKEYD_TOKEN_AUDIENCE": "apps", "PASSKEYD_COOKIE_DOMAIN": "example.com"})
	if err != nil || strings.Contains(out, "warn   audience") || !strings.Contains(out, "issuer https://login.example.com, audience apps") || !strings.Contains(out, "every app under example.com receives the session cookie") {
		t.Fatalf("token settings: %v\n%s", err, out)
	}
	if out, err := doc(map[string]string{"PASSKEYD_RP_ID": "login.example.com", "PASSKEYD_ORIGINS": "https://login.example.com", "PASSKEYD_COOKIE_DOMAIN": "other.com"}); err == nil || !strings.Contains(out, "PASSKEYD_COOKIE_DOMAIN") {
		t.Fatalf("foreign cookie domain: %v\n%s", err, out)
	}
	// A database from a newer passkeyd.
	raw, _ := sql.Open("sqlite", "file:"+dbPath)
	raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`)
	raw.Close()
	if out, err := doc(nil); err == nil || !strings.Contains(out, "newer than this passkeyd") {
		t.Fatalf("newer schema: %v\n%s", err, out)
	}
}

// TestAdminCLI: passkeyd admin talks to the operator API of a running server.
func TestAdminCLI(t *testing.T) {
	port := freePort(t)
	const token = "Zk3pW9qR2vX7mB4nT8yL1cH6fJ0sD5gA"
	env := map[string]string{
		"PASSKEYD_ADDR":         fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_ADMIN_TOKEN":  token,
	}
	getenv := func(k string) string { return env[k] }
	url := serveForTest(t, env)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"probe", "-url", url}, getenv, &out, &out); err != nil {
		t.Fatalf("probe: %v\n%s", err, out.String())
	}
	user := strings.TrimSpace(out.String()[strings.LastIndex(out.String(), "user=")+5:])
	out.Reset()
	if err := run(context.Background(), []string{"admin", "-url", url, "user", user}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), `"username": "`+user+`"`) {
		t.Fatalf("admin user: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"admin", "-url", url, "search", "probe-"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), user) {
		t.Fatalf("admin search: %v\n%s", err, out.String())
	}
	out.Reset()
	_ = run(context.Background(), []string{"admin", "-url", url, "user", user}, getenv, &out, &out)
	var d struct {
		User struct{ ID string } `json:"user"`
	}
	_ = json.Unmarshal(out.Bytes(), &d)
	out.Reset()
	if err := run(context.Background(), []string{"admin", "-url", url, "revoke-sessions", d.User.ID}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "revoked") {
		t.Fatalf("admin revoke-sessions: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"admin", "-url", url, "-token", "wrong-token-of-enough-length!!", "user", user}, getenv, &out, &out); err == nil {
		t.Fatal("a wrong admin token worked")
	}
}

// TestDoctorClockSkew: a host clock off from PostgreSQL's by more than two seconds is an
// error (challenge and session expiry compare the two).
func TestDoctorClockSkew(t *testing.T) {
	pg := envOr("PASSKEYD_TEST_POSTGRES_URL", "postgres://127.0.0.1:5432/test?sslmode=disable")
	if err := reachable(pg, envOr("PASSKEYD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")); err != nil {
		if strings.Contains(getenvReal("PASSKEYD_TEST_REQUIRE"), "all") {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	env := map[string]string{"PASSKEYD_DATABASE_URL": pgtest.URL(t)}
	doctorNow = func() time.Time { return time.Now().Add(10 * time.Second) }
	defer func() { doctorNow = time.Now }()
	var out bytes.Buffer
	err := run(context.Background(), []string{"doctor"}, func(k string) string { return env[k] }, &out, &out)
	if err == nil || !strings.Contains(out.String(), "error  clock") || !strings.Contains(out.String(), "NTP") {
		t.Fatalf("skewed clock: %v\n%s", err, out.String())
	}
	doctorNow = time.Now
	out.Reset()
	if err := run(context.Background(), []string{"doctor"}, func(k string) string { return env[k] }, &out, &out); strings.Contains(out.String(), "error  clock") {
		t.Fatalf("unskewed clock flagged: %v\n%s", err, out.String())
	}
}

// serveForTest runs the server with env until the test ends and returns its URL once
// /readyz answers.
func serveForTest(t *testing.T, env map[string]string) string {
	t.Helper()
	if _, ok := env["PASSKEYD_DRAIN_TIMEOUT"]; !ok {
		env["PASSKEYD_DRAIN_TIMEOUT"] = "0s" // no load balancer to drain from
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	t.Cleanup(func() { cancel(); <-done })
	url := "http://" + env["PASSKEYD_ADDR"]
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("server not ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
