package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/postgres/pgtest"
	"github.com/passkeyd/passkeyd/storetest"
)

func testURL() string { return pgtest.BaseURL() }

// open is a migrated store in a schema of its own, dropped afterwards.
func open(t *testing.T) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.URL(t))
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
	if v, err := db.SchemaVersion(context.Background()); err != nil || v != postgres.KnownVersion() {
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
