package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd/postgres"
)

// postgresURL makes a schema of its own on the test server (PASSKEYD_TEST_POSTGRES_URL or
// the local one) and returns a URL that uses it; it skips when PostgreSQL is unreachable,
// unless PASSKEYD_TEST_REQUIRE asks for it.
func postgresURL(t *testing.T) string {
	base := os.Getenv("PASSKEYD_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		if v := os.Getenv("PASSKEYD_TEST_REQUIRE"); strings.Contains(v, "all") || strings.Contains(v, "postgres") {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "passkeyd_webhook_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func openPostgres(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestTwoWorkersOnOnePostgreSQL: two instances, each with its own pool and worker, never
// both send an event (SKIP LOCKED leases), and together send all of them.
func TestTwoWorkersOnOnePostgreSQL(t *testing.T) {
	url := postgresURL(t)
	a, b := openPostgres(t, url), openPostgres(t, url)
	r := newReceiver(t, nil)
	ids := publish(t, a, 200, r.URL)
	cfg := fast()
	cfg.Batch = 4 // many small leases, so the two workers interleave
	regA, regB := bothWork(t, a, b, cfg)
	r.waitFor(ids, true, 30*time.Second)
	bothSent(t, regA, regB, len(ids))
}
