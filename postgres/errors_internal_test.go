package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/passkeyd/passkeyd"
)

// TestMapErr: every way the connection to PostgreSQL can fail, and every server code that
// means "not now", is unavailable (503 with Retry-After); answers about the request keep
// their own codes.
func TestMapErr(t *testing.T) {
	wrapped := func(err error) error { return fmt.Errorf("failed to receive message: %w", err) }
	cases := []struct {
		name    string
		err     error
		want    passkeyd.Code
		timeout bool // not retried
	}{
		{"connection reset by peer", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, passkeyd.CodeUnavailable, false},
		{"reset, wrapped by pgconn", wrapped(syscall.ECONNRESET), passkeyd.CodeUnavailable, false},
		{"unexpected EOF mid-query", wrapped(io.ErrUnexpectedEOF), passkeyd.CodeUnavailable, false},
		{"EOF", wrapped(io.EOF), passkeyd.CodeUnavailable, false},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, passkeyd.CodeUnavailable, false},
		{"broken pipe", wrapped(syscall.EPIPE), passkeyd.CodeUnavailable, false},
		{"use of closed connection", wrapped(net.ErrClosed), passkeyd.CodeUnavailable, false},
		{"conn closed", pgconn.ErrConnClosed, passkeyd.CodeUnavailable, false},
		{"pool closed", puddle.ErrClosedPool, passkeyd.CodeUnavailable, false},
		{"i/o timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, passkeyd.CodeUnavailable, true},
		{"request deadline", wrapped(context.DeadlineExceeded), passkeyd.CodeUnavailable, true},
		{"admin shutdown 57P01", &pgconn.PgError{Code: "57P01", Severity: "FATAL"}, passkeyd.CodeUnavailable, false},
		{"crash shutdown 57P02", &pgconn.PgError{Code: "57P02", Severity: "FATAL"}, passkeyd.CodeUnavailable, false},
		{"cannot connect now 57P03", &pgconn.PgError{Code: "57P03", Severity: "FATAL"}, passkeyd.CodeUnavailable, false},
		{"read-only transaction after a demotion 25006", &pgconn.PgError{Code: "25006"}, passkeyd.CodeUnavailable, false},
		{"statement_timeout 57014", &pgconn.PgError{Code: "57014"}, passkeyd.CodeUnavailable, true},
		{"too many connections 53300", &pgconn.PgError{Code: "53300"}, passkeyd.CodeUnavailable, false},
		{"disk full 53100", &pgconn.PgError{Code: "53100"}, passkeyd.CodeUnavailable, false},
		{"connection failure 08006", &pgconn.PgError{Code: "08006"}, passkeyd.CodeUnavailable, false},
		{"serialization failure 40001", &pgconn.PgError{Code: "40001"}, passkeyd.CodeUnavailable, false},
		{"username taken", &pgconn.PgError{Code: "23505", ConstraintName: "users_username_key_unique"}, passkeyd.CodeUsernameTaken, false},
		{"credential exists", &pgconn.PgError{Code: "23505", ConstraintName: "passkeys_pkey"}, passkeyd.CodeCredentialExists, false},
		{"no rows", pgx.ErrNoRows, passkeyd.CodeNotFound, false},
		{"a bug stays internal: syntax error", &pgconn.PgError{Code: "42601"}, passkeyd.CodeInternal, false},
		{"a bug stays internal: unknown error", errors.New("cannot scan into *int"), passkeyd.CodeInternal, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mapErr(c.err)
			if code := passkeyd.ErrorCode(got); code != c.want {
				t.Fatalf("mapErr(%v) = %v (code %s), want code %s", c.err, got, code, c.want)
			}
			if c.want == passkeyd.CodeUnavailable && timedOut(got) != c.timeout {
				t.Errorf("timedOut = %v, want %v", timedOut(got), c.timeout)
			}
		})
	}
}

// TestMapErrRealConnect: a real failed connect (nothing listens) is unavailable.
func TestMapErrRealConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = pgx.Connect(context.Background(), "postgres://"+addr+"/test?connect_timeout=2")
	if err == nil {
		t.Fatal("connected to a closed port")
	}
	if code := passkeyd.ErrorCode(mapErr(err)); code != passkeyd.CodeUnavailable {
		t.Fatalf("connect to a closed port: %v is %s, want unavailable", err, code)
	}
}

// TestDatabaseTimeout: the timeout is the server's statement_timeout (unless the URL sets
// one) and bounds each operation on the client: a statement that runs longer fails as
// unavailable within about the timeout, and is not retried.
func TestDatabaseTimeout(t *testing.T) {
	url := os.Getenv("PASSKEYD_TEST_POSTGRES_URL")
	if url == "" {
		url = "postgres://127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	const timeout = 300 * time.Millisecond
	db, err := OpenTimeout(ctx, url, timeout)
	if err == nil {
		err = db.pool.Ping(ctx)
	}
	if err != nil {
		if strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "all") || strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "postgres") {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer db.Close()
	var setting string
	if err := db.pool.QueryRow(ctx, "SHOW statement_timeout").Scan(&setting); err != nil || setting != "300ms" {
		t.Fatalf("statement_timeout = %q, %v; want 300ms", setting, err)
	}
	start := time.Now()
	_, err = retryRead(ctx, db, func(ctx context.Context) (int, error) {
		var n int
		return n, mapErr(db.pool.QueryRow(ctx, "SELECT 1 FROM pg_sleep(2)").Scan(&n))
	})
	took := time.Since(start)
	if passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable || !timedOut(err) {
		t.Fatalf("a statement longer than the timeout: %v (code %s), want an unavailable timeout", err, passkeyd.ErrorCode(err))
	}
	if took > 3*timeout {
		t.Fatalf("took %v to fail with a %v timeout (retried, or not bounded)", took, timeout)
	}
	// The background sweeps are not bound by it: they may take longer than a request.
	if _, err := db.maintain(ctx, "SELECT pg_sleep(0.6)"); err != nil {
		t.Fatalf("a sweep longer than the request timeout: %v", err)
	}
	// The URL's own statement_timeout wins.
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	own, err := OpenTimeout(ctx, url+sep+"statement_timeout=5000", timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if err := own.pool.QueryRow(ctx, "SHOW statement_timeout").Scan(&setting); err != nil || setting != "5s" {
		t.Fatalf("with statement_timeout in the URL: %q, %v; want 5s", setting, err)
	}
}
