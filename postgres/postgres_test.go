package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/storetest"
)

// testURL is the database the tests use: PASSKEYD_TEST_POSTGRES_URL, or the machine's local
// server. Each test runs in a schema of its own, dropped afterwards.
func testURL() string {
	if u := os.Getenv("PASSKEYD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://127.0.0.1:5432/test?sslmode=disable"
}

func required() bool {
	v := os.Getenv("PASSKEYD_TEST_REQUIRE")
	return strings.Contains(v, "all") || strings.Contains(v, "postgres")
}

func open(t *testing.T) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testURL())
	if err != nil {
		if required() {
			t.Fatalf("PostgreSQL unreachable at %s: %v", testURL(), err)
		}
		t.Skipf("PostgreSQL unreachable at %s (set PASSKEYD_TEST_POSTGRES_URL): %v", testURL(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "passkeyd_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(testURL(), "?") {
		sep = "&"
	}
	db, err := postgres.Open(ctx, testURL()+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) passkeyd.Store { return open(t) })
}

func TestConcurrentMigrations(t *testing.T) {
	db := open(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = db.Migrate(context.Background()) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if v, err := db.SchemaVersion(context.Background()); err != nil || v != postgres.KnownVersion() || v != 7 {
		t.Fatalf("schema version %d, %v", v, err)
	}
}

func TestUnavailableIsCoded(t *testing.T) {
	db, err := postgres.Open(context.Background(), "postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.UserByID(context.Background(), "x"); passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("unreachable database: %v (code %s), want unavailable", err, passkeyd.ErrorCode(err))
	}
	// The read was retried (bounded backoff) before giving up.
	if time.Since(start) < 500*time.Millisecond {
		t.Fatalf("gave up after %v: reads should be retried", time.Since(start))
	}
	// A write is not retried.
	start = time.Now()
	if err := db.DeleteSession(context.Background(), "x"); passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("write: %v", err)
	}
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
