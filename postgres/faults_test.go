package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/internal/faultnet"
	"github.com/passkeyd/passkeyd/postgres"
)

// openThrough opens a migrated schema of its own through a faultnet proxy in front of the
// test server, with extra URL parameters; application_name is the schema, so a test can
// find this pool's backends in pg_stat_activity.
func openThrough(t *testing.T, extra url.Values) (*postgres.DB, *faultnet.Proxy, string) {
	t.Helper()
	direct := open(t) // creates and migrates the schema
	u, err := url.Parse(direct.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faultnet.Listen(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	schema := u.Query().Get("search_path")
	q := u.Query()
	q.Set("application_name", schema)
	for k, v := range extra {
		q[k] = v
	}
	u.Host, u.RawQuery = proxy.Addr(), q.Encode()
	db, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, proxy, schema
}

func seedUser(t *testing.T, db *postgres.DB) *passkeyd.User {
	t.Helper()
	now := time.Now().UTC()
	id := randomID()
	u := &passkeyd.User{ID: id, Handle: []byte(id), Username: id, UsernameKey: id, DisplayName: id, CreatedAt: now}
	p := &passkeyd.Passkey{ID: []byte(id), UserID: id, Name: "k", PublicKey: []byte{1}, Algorithm: -7, AAGUID: make([]byte, 16), Transports: []string{}, AttestationFormat: "none", AttestationType: "none", CreatedAt: now}
	if err := db.CreateAccount(context.Background(), passkeyd.NewAccount{User: u, Passkey: p}); err != nil {
		t.Fatal(err)
	}
	return u
}

// cutMidQuery runs op while the proxy holds its bytes, then resets every connection: op's
// query was sent and its answer never comes, as when the primary is killed with -9.
func cutMidQuery(t *testing.T, proxy *faultnet.Proxy, op func(ctx context.Context) error) error {
	t.Helper()
	proxy.Stall(true)
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errc <- op(ctx)
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-errc:
		t.Fatalf("the operation finished while the proxy held every byte: %v", err)
	default:
	}
	proxy.Reset()
	proxy.Stall(false)
	return <-errc
}

// TestConnectionCutMidQuery: the connection is reset under a query in flight. A read is
// retried on a new connection and succeeds; a write (never retried: it may have committed)
// fails as unavailable, not internal.
func TestConnectionCutMidQuery(t *testing.T) {
	db, proxy, _ := openThrough(t, nil)
	u := seedUser(t, db)
	err := cutMidQuery(t, proxy, func(ctx context.Context) error {
		got, err := db.UserByID(ctx, u.ID)
		if err == nil && got.ID != u.ID {
			t.Errorf("read the wrong user %q", got.ID)
		}
		return err
	})
	if err != nil {
		t.Fatalf("read cut mid-query was not retried across the reset: %v (code %s)", err, passkeyd.ErrorCode(err))
	}
	err = cutMidQuery(t, proxy, func(ctx context.Context) error {
		return db.DeleteSession(ctx, "nonexistent")
	})
	if passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("write cut mid-query: %v (code %s), want unavailable", err, passkeyd.ErrorCode(err))
	}
}

// TestConnectionRefused: while nothing accepts connections, reads and writes fail as
// unavailable within a few seconds.
func TestConnectionRefused(t *testing.T) {
	db, proxy, _ := openThrough(t, nil)
	u := seedUser(t, db)
	proxy.Refuse(true)
	proxy.Reset()
	start := time.Now()
	if _, err := db.UserByID(context.Background(), u.ID); passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("read while refused: %v (code %s), want unavailable", err, passkeyd.ErrorCode(err))
	}
	if err := db.DeleteSession(context.Background(), "x"); passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("write while refused: %v (code %s), want unavailable", err, passkeyd.ErrorCode(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("refused connections took %v to fail", d)
	}
	proxy.Refuse(false)
	if _, err := db.UserByID(context.Background(), u.ID); err != nil {
		t.Fatalf("read after the database came back: %v", err)
	}
}

// TestAdminShutdown: the server terminates this pool's backends (57P01, what a fast
// shutdown or a Patroni demotion does). The next read is retried and succeeds.
func TestAdminShutdown(t *testing.T) {
	db, _, schema := openThrough(t, nil)
	u := seedUser(t, db)
	admin, err := pgx.Connect(context.Background(), testURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no backend of the pool to terminate")
	}
	if _, err := db.UserByID(context.Background(), u.ID); err != nil {
		t.Fatalf("read after pg_terminate_backend: %v (code %s)", err, passkeyd.ErrorCode(err))
	}
}

// TestReadOnlyIsUnavailable: a write on a node that went read-only (a demoted primary
// answers 25006) is unavailable, so clients retry and HAProxy's next pick is the new primary.
func TestReadOnlyIsUnavailable(t *testing.T) {
	db, _, _ := openThrough(t, url.Values{"default_transaction_read_only": {"on"}})
	now := time.Now().UTC()
	id := randomID()
	err := db.CreateAccount(context.Background(), passkeyd.NewAccount{
		User:    &passkeyd.User{ID: id, Handle: []byte(id), Username: id, UsernameKey: id, DisplayName: id, CreatedAt: now},
		Passkey: &passkeyd.Passkey{ID: []byte(id), UserID: id, Name: "k", PublicKey: []byte{1}, Algorithm: -7, AAGUID: make([]byte, 16), Transports: []string{}, AttestationFormat: "none", AttestationType: "none", CreatedAt: now},
	})
	if err := db.Ping(context.Background()); passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Ping (readiness) of a read-only database: %v, want unavailable naming read-only", err)
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.Code != "25006" {
		t.Fatalf("write on a read-only session: %v, want SQLSTATE 25006", err)
	}
	if passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("read-only transaction: code %s, want unavailable", passkeyd.ErrorCode(err))
	}
}
